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
	exception_logged_at_invalid,
	exception_self_approved,
})

# METADATA
# title: Escalation findings (routed to the AI Change Advisory Board)
# description: Unclassified repositories, missing security review on high-risk code, suspected undisclosed AI use, overdue exception follow-ups.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: medium
escalate := union({
	risk_tier_unclassified,
	high_risk_security_review_missing,
	ai_label_undisclosed,
	exception_follow_up_overdue,
})

# METADATA
# title: Audit findings (merge allowed, recorded for the audit trail)
# description: Ignored self-approvals, exceptions in force, exception follow-ups pending or completed.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: low
audit := union({
	author_listed_as_approver,
	exception_waiver_applied,
	exception_follow_up_pending,
	exception_follow_up_completed,
})

# METADATA
# title: Finding constructor
# description: Builds one reason object of the Gavel decision shape.
# custom:
#   citations:
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: low
finding(rule, citation, message) := {"rule": rule, "citation": citation, "message": message}

# METADATA
# title: Non-blank string test
# description: True when the value is a string with at least one non-whitespace character.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
nonblank(value) if {
	is_string(value)
	trim_space(value) != ""
}

# METADATA
# title: RFC 3339 timestamp pattern
# description: >-
#   Full RFC 3339 date-time (years 1900-2099, real calendar days including
#   leap years, seconds 00-59, optional fraction, Z or numeric offset). Strings
#   that match always parse with time.parse_rfc3339_ns.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.15"}
#   severity: low
rfc3339_pattern := `^(?:(?:19|20)[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:(?:19|20)(?:0[48]|[2468][048]|[13579][26])|2000)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`
