package gfr.procurement

# METADATA
# title: Budget verified by finance
# description: Finance has confirmed the budget provision for the award.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 25"}
#   severity: low
budget_verified if input.budget.verified == true

# METADATA
# title: Budget provision must be verified
# description: Every sanction must indicate the grant or appropriation it is met from; finance must verify the provision before award.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 25 (provision of funds for sanction)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 25"}
#   severity: critical
budget_not_verified contains reason if {
	not budget_verified
	reason := finding(
		"budget_not_verified",
		"GFR 2017 Rule 25",
		"budget provision for the award has not been verified by finance",
	)
}

# METADATA
# title: Award within the available budget
# description: The award may not exceed the balance available under the head of account.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 26"}
#     - {regulation: "GFR 2017", clause: "Rule 57"}
#   severity: critical
budget_insufficient contains reason if {
	budget_verified
	balance := input.budget.available_balance
	is_number(balance)
	value > balance
	reason := finding(
		"budget_insufficient",
		"GFR 2017 Rule 26",
		sprintf("award of INR %v exceeds the available balance of INR %v under head %v", [value, balance, object.get(input.budget, "head_of_account", "(unspecified)")]),
	)
}
