package gfr.procurement

# METADATA
# title: Contract value must be a positive INR amount
# description: An award cannot be sanctioned without a valid contract value against the budget provision.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 25 (provision of funds for sanction)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 25"}
#     - {regulation: "GFR 2017", clause: "Rule 22"}
#   severity: critical
contract_value_invalid contains reason if {
	not valid_value
	reason := finding(
		"contract_value_invalid",
		"GFR 2017 Rule 25",
		"contract_value must be a positive amount in INR; the award cannot be sanctioned against the budget provision without it",
	)
}

# METADATA
# title: Procurement method must be a recognised mode
# description: The request must name one of the GFR 2017 modes of procurement (purchase committee, limited/advertised tender, two-stage bidding, reverse auction, single tender).
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#   severity: high
procurement_method_unknown contains reason if {
	not known_method
	reason := finding(
		"procurement_method_unknown",
		"GFR 2017 Rule 158",
		sprintf("procurement_method %v is not a recognised mode of procurement", [json.marshal(object.get(input, "procurement_method", null))]),
	)
}

# METADATA
# title: Purchase committee only up to the threshold
# description: A Local Purchase Committee may buy only up to the competitive bidding threshold; above it bids must be obtained.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 155 (purchase of goods by purchase committee)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 155"}
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#   severity: high
purchase_committee_above_limit contains reason if {
	input.procurement_method == "purchase_committee"
	above_threshold
	reason := finding(
		"purchase_committee_above_limit",
		"GFR 2017 Rule 155",
		sprintf("purchase committee procurement of INR %v exceeds the limit of INR %v; obtain bids under Rule 158", [value, competitive_bidding_threshold]),
	)
}

# METADATA
# title: Competitive quotations above the threshold
# description: >-
#   Above the threshold an award made by obtaining bids needs responsive
#   quotations from at least the minimum number of distinct bidders (identified
#   by PAN), unless the emergency path applies.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rules 158 and 162
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 162"}
#     - {regulation: "GFR 2017", clause: "Rule 158"}
#     - {regulation: "CVC Guidelines", clause: "Transparency in tendering"}
#   severity: high
insufficient_quotations contains reason if {
	known_method
	not is_single_tender
	above_threshold
	not emergency_exemption
	count(valid_bidders) < min_quotations
	reason := finding(
		"insufficient_quotations",
		"GFR 2017 Rule 162",
		sprintf("award of INR %v above the threshold of INR %v has %v responsive quotation(s) from distinct bidders; at least %v required", [value, competitive_bidding_threshold, count(valid_bidders), min_quotations]),
	)
}

# METADATA
# title: Possible splitting of demand
# description: >-
#   An award at or below the threshold whose value, added to related orders
#   for the same item in the preceding 90 days, crosses the threshold may be a
#   demand split to avoid competitive bidding; it goes to review.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rule 157 (demand not to be divided)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 157"}
#   severity: medium
split_procurement_suspected contains reason if {
	not above_threshold
	related := object.get(input, "related_orders_value_90d", 0)
	is_number(related)
	value + related > competitive_bidding_threshold
	reason := finding(
		"split_procurement_suspected",
		"GFR 2017 Rule 157",
		sprintf("award of INR %v plus related orders of INR %v in the last 90 days exceeds the threshold of INR %v; check for splitting of demand", [value, related, competitive_bidding_threshold]),
	)
}
