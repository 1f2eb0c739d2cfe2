# METADATA
# scope: package
# title: AI-assisted change audit trail
# description: >-
#   CI compliance gate run on every pull request to an in-scope repository.
#   Every AI-assisted change must carry a minimum viable audit trail (approved
#   model identifier, RFC 3339 timestamp, context description, an independent
#   human approver); high-risk repositories need a stricter review; policy
#   exceptions must be logged and followed up within 48 hours.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance
#     description: AI Change Governance Standard (internal), clauses AUD-1 to AUD-6
#   - ref: https://www.iso.org/standard/27001
#     description: ISO/IEC 27001:2022 Annex A 8.32 Change management
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: high
package ai_change.audit

# METADATA
# title: Gavel decision for one pull request
# description: >-
#   Outcome by precedence BLOCK > ESCALATE > APPROVE_WITH_AUDIT > APPROVE, with
#   every finding listed (blocking first, then escalations, then audit notes).
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
decision := {"outcome": outcome, "reasons": reasons}

# METADATA
# title: Outcome by precedence
# description: BLOCK if any blocking finding, else ESCALATE, else APPROVE_WITH_AUDIT, else APPROVE.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Findings in decision order
# description: Blocking findings, then escalations, then audit notes; each group sorted.
# custom:
#   citations:
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: low
reasons := array.concat(array.concat(sort(block), sort(escalate)), sort(audit))

# METADATA
# title: Blocking findings (the merge fails)
# description: Missing or invalid audit-trail fields, unapproved models, missing independent or high-risk approvals, unusable exceptions.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: high
block := union({
	ai_disclosure_missing,
	author_missing,
	model_id_missing,
	model_not_approved,
	timestamp_missing,
	timestamp_invalid,
	context_description_missing,
	independent_approver_missing,
	high_risk_second_approver_missing,
	exception_record_incomplete,
	except