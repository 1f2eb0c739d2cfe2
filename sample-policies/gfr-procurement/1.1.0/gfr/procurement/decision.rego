# METADATA
# title: GFR 2017 / CVC procurement controls
# description: >-
#   Pre-award controls for the procurement of goods by a Central Government
#   department under Chapter 6 of the General Financial Rules 2017 and the
#   Central Vigilance Commission's guidelines on tendering: competitive
#   quotations above the threshold, single-tender justification and approving
#   authority, documented award rationale, evaluators' conflict-of-interest
#   declarations, budget verification and the emergency-procurement path.
# related_resources:
#   - ref: https://doe.gov.in/procurement-policy-divisions
#     description: Department of Expenditure, Procurement Policy Division (GFR 2017)
#   - ref: https://cvc.gov.in
#     description: Central Vigilance Commission guidelines on public procurement
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Chapter 6 (Rules 144-175)"}
#     - {regulation: "CVC Guidelines", clause: "Transparency in tendering"}
#   severity: high
package gfr.procurement

# METADATA
# title: Blocking findings
# description: Findings that stop the award until the record is corrected.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 144"}
#   severity: high
block := union({
	contract_value_invalid,
	procurement_method_unknown,
	purchase_committee_above_limit,
	insufficient_quotations,
	contract_rationale_missing,
	single_tender_justification_missing,
	single_tender_ground_invalid,
	single_tender_emergency_unsupported,
	proprietary_certificate_missing,
	single_tender_approver_insufficient,
	single_tender_cvc_report_missing,
	coi_declaration_missing,
	conflicted_evaluator_not_recused,
	budget_not_verified,
	budget_insufficient,
	emergency_certificate_missing,
})

# METADATA
# title: Escalation findings
# description: Findings that send the award to the contracting officer for review.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: medium
escalate := union({
	contract_rationale_too_thin,
	evaluation_committee_missing,
	split_procurement_suspected,
})

# METADATA
# title: Audit findings
# description: Findings that allow the award but flag it for post-facto audit.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 166(ii)"}
#   severity: low
audit := union({emergency_procurement})

# METADATA
# title: Outcome
# description: BLOCK over ESCALATE over APPROVE_WITH_AUDIT over APPROVE.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 144"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Reasons
# description: All findings, blocking first, then escalations, then audit flags; each group in sorted order.
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 173"}
#   severity: medium
reasons := array.concat(
	array.concat([r | some r in block], [r | some r in escalate]),
	[r | some r in audit],
)

# METADATA
# title: Procurement award decision
# description: The Gavel decision for one procurement award request.
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "GFR 2017", clause: "Rule 144"}
#     - {regulation: "CVC Guidelines", clause: "Transparency in tendering"}
#   severity: critical
decision := {"outcome": outcome, "reasons": reasons}
