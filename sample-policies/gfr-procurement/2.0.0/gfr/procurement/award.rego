package gfr.procurement

# METADATA
# title: Contract award needs a documented rationale
# description: Awards above the threshold must document the contract type rationale before award.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 173
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#     - {regulation: "CVC Guidelines", clause: "Contract award"}
#   severity: high
contract_rationale_missing contains reason if {
	above_threshold
	not rationale_present
	reason := finding(
		"contract_rationale_missing",
		"GFR 2017 Rule 173",
		sprintf("award of INR %v above the threshold of INR %v has no documented contract type rationale", [value, competitive_bidding_threshold]),
	)
}

# METADATA
# title: Contract award rationale must be substantive
# description: A rationale shorter than the minimum length is sent to the contracting officer for review.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 173
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#     - {regulation: "CVC Guidelines", clause: "Contract award"}
#   severity: medium
contract_rationale_too_thin contains reason if {
	above_threshold
	rationale_present
	n := count(trim_space(input.contract_type_rationale))
	n < rationale_min_length
	reason := finding(
		"contract_rationale_too_thin",
		"GFR 2017 Rule 173",
		sprintf("contract type rationale has %v characters, fewer than the %v required; contracting officer review", [n, rationale_min_length]),
	)
}

# METADATA
# title: Rationale recorded
# description: The request carries a non-blank contract type rationale.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: low
rationale_present if non_blank(input.contract_type_rationale)
