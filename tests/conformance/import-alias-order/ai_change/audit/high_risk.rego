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
	approver.kind == "human"
	nonblank(approver.login)
	login := lower(trim_space(approver.login))
	login in independent_human_approvers
	is_array(approver.teams)
	some team in approver.teams
	is_string(team)
	lower(trim_space(team)) in data.ai_change.config.security_review_groups
}

# METADATA
# title: High-risk review shortfalls before exceptions
# description: Names of the high-risk review rules whose condition holds, before any policy exception is applied.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#   severity: low
high_risk_shortfalls := {name |
	ai_assisted
	high_risk
	some name, short in {
		"high_risk_second_approver_missing": count(independent_human_approvers) < high_risk_min_human_approvers,
		"high_risk_security_review_missing": count(security_approvers) == 0,
	}
	short
}

# METADATA
# title: High-risk change lacks a second independent human approver
# description: AI-assisted changes to high-risk repositories need two independent human approvals unless a logged exception waives it.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-4
#     description: AI Change Governance Standard AUD-4 High-risk repositories
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: high
high_risk_second_approver_missing contains finding(
	"high_risk_second_approver_missing",
	"AI Change Governance Standard AUD-4",
	sprintf(
		"high-risk repository: %d of %d required independent human approvals",
		[count(independent_human_approvers), high_risk_min_human_approvers],
	),
) if {
	"high_risk_second_approver_missing" in high_risk_shortfalls
	not waived("high_risk_second_approver_missing")
}

# METADATA
# title: High-risk change lacks a security or code-owner review
# description: >-
#   One independent approver of an AI-assisted change to a high-risk repository
#   must belong to a security or code-owner group; otherwise the change is
#   escalated to the security team unless a logged exception waives it.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-4
#     description: AI Change Governance Standard AUD-4 High-risk repositories
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-4 High-risk repositories"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.28"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: medium
high_risk_security_review_missing contains finding(
	"high_risk_security_review_missing",
	"AI Change Governance Standard AUD-4",
	"high-risk repository: no independent approver from a security or code-owner group",
) if {
	"high_risk_security_review_missing" in high_risk_shortfalls
	not waived("high_risk_security_review_missing")
}
