package gfr.procurement

# METADATA
# title: Evaluation committee on record
# description: Awards above the threshold made by obtaining bids must list the evaluation committee, so that its declarations can be checked.
# custom:
#   citations:
#     - {regulation: "CVC Guidelines", clause: "Conflict of interest declaration by evaluation committee members"}
#     - {regulation: "GFR 2017", clause: "Rule 175"}
#   severity: medium
evaluation_committee_missing contains reason if {
	above_threshold
	known_method
	not is_single_tender
	not emergency_exemption
	count(evaluators) == 0
	reason := finding(
		"evaluation_committee_missing",
		"CVC Guidelines, conflict of interest declaration",
		sprintf("award of INR %v lists no evaluation committee members; their conflict-of-interest declarations cannot be verified", [value]),
	)
}

# METADATA
# title: Every evaluator signs a conflict-of-interest declaration
# description: Each member of the evaluation committee must sign a declaration of (absence of) conflict of interest.
# related_resources:
#   - ref: https://cvc.gov.in
#     description: CVC guidelines on integrity in public procurement
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 175"}
#     - {regulation: "CVC Guidelines", clause: "Conflict of interest declaration by evaluation committee members"}
#   severity: critical
coi_declaration_missing contains reason if {
	some e in evaluators
	object.get(e, "coi_declaration_signed", false) != true
	reason := finding(
		"coi_declaration_missing",
		"GFR 2017 Rule 175",
		sprintf("evaluator %v has not signed a conflict-of-interest declaration", [object.get(e, "employee_id", "(no employee_id)")]),
	)
}

# METADATA
# title: Conflicted evaluators must recuse
# description: An evaluator who declares a conflict of interest must recuse from the evaluation.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 175"}
#     - {regulation: "CVC Guidelines", clause: "Conflict of interest declaration by evaluation committee members"}
#   severity: critical
conflicted_evaluator_not_recused contains reason if {
	some e in evaluators
	object.get(e, "conflict_declared", false) == true
	object.get(e, "recused", false) != true
	reason := finding(
		"conflicted_evaluator_not_recused",
		"GFR 2017 Rule 175",
		sprintf("evaluator %v declared a conflict of interest but took part in the evaluation", [object.get(e, "employee_id", "(no employee_id)")]),
	)
}
