package gfr.procurement

# METADATA
# title: Roles that approved the award
# description: The set of approver roles recorded on the request.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 22"}
#   severity: low
approval_roles := {a.role |
	some a in object.get(input, "approvals", [])
	is_string(a.role)
}

# METADATA
# title: Dual approval above the high-value threshold
# description: >-
#   No expenditure may be incurred without the sanction of the competent
#   authority; above the dual-approval threshold the competent authority is
#   the head of department acting with the concurrence of the financial
#   adviser, so both approvals must be on record (roles in
#   data.gfr.config.dual_approval_roles).
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: General Financial Rules 2017, Rules 22 and 23 (sanction by competent authority; delegation of financial powers)
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 22"}
#     - {regulation: "GFR 2017", clause: "Rule 23"}
#     - {regulation: "Delegation of Financial Powers Rules", clause: "Consultation with the Financial Adviser"}
#   severity: critical
dual_approval_missing contains reason if {
	value > dual_approval_threshold
	missing := {r | some r in data.gfr.config.dual_approval_roles; not r in approval_roles}
	count(missing) > 0
	reason := finding(
		"dual_approval_missing",
		"GFR 2017 Rule 22",
		sprintf("award of INR %v exceeds INR %v and needs approval by %v; missing: %v", [value, dual_approval_threshold, concat(" and ", data.gfr.config.dual_approval_roles), concat(", ", sort(missing))]),
	)
}
