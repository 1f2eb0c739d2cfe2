# Stricter review for AI-assisted changes to high-risk repositories (AUD-4).
package ai_change.audit

# METADATA
# title: Minimum independent human approvers on high-risk repositories
# description: AI-assisted changes to a high or critical tier repository need this many independent human approvals.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
high_risk_min_human_approvers := 2

# METADATA
# title: Rules a logged policy exception may waive
# description: >-
#   Only the high-risk review rules can be waived by a logged exception
#   (break-glass hotfixes); the minimum audit trail (AUD-1..AUD-3) never can.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
waivable_rules := {"high_risk_second_approver_missing", "high_risk_security_review_missing"}

# METADATA
# title: Risk tier recognised
# description: The repository's risk_tier is one of data.ai_change.config.risk_tiers.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#   severity: low
risk_tier_known if {
	is_string(input.risk_tier)
	lower(trim_space(input.risk_tier)) in data.ai_change.config.risk_tiers
}

# METADATA
# title: High-risk repository
# description: The repository's risk tier is in data.ai_change.config.high_risk_tiers.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#   severity: low
high_risk if {
	risk_tier_known
	lower(trim_space(input.risk_tier)) in data.ai_change.config.high_risk_tiers
}

# METADATA
# title: Repository risk tier missing or unknown
# description: >-
#   The gate cannot tell which review an AI-assisted change needs when the
#   repository has no recognised risk tier; the change goes to the AI Change
#   Advisory Board.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: medium
risk_tier_unclassified contains finding(
	"risk_tier_unclassified",
	"AI Change Governance Standard AUD-4",
	"repository has no recognised risk tier (low, medium, high, critical)",
) if {
	ai_assisted
	not risk_tier_known
}

# METADATA
# title: Independent approvers from a security or code-owner group
# description: Independent human approvers whose teams include one of data.ai_change.config.security_review_groups.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.28"}
#   severity: low
security_approvers contains login if {
	some approver in approver_list
	approver.