# Minimum viable audit trail for AI-assisted changes (AUD-1, AUD-2, AUD-3, AUD-6).
package ai_change.audit

# METADATA
# title: The PR declares whether AI assisted the change
# description: The ai_assisted flag is a boolean (true or false), not missing or free text.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-6 AI disclosure"}
#   severity: low
ai_flag_declared if is_boolean(input.ai_assisted)

# METADATA
# title: The change is AI-assisted
# description: The audit-trail, approved-model and high-risk review rules apply only to AI-assisted changes.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-6 AI disclosure"}
#   severity: low
ai_assisted if input.ai_assisted == true

# METADATA
# title: AI disclosure flag missing
# description: Every PR to an in-scope repository must declare ai_assisted true or false; a missing flag fails the build.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-6
#     description: AI Change Governance Standard AUD-6 AI disclosure
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-6 AI disclosure"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
ai_disclosure_missing contains finding(
	"ai_disclosure_missing",
	"AI Change Governance Standard AUD-6",
	"the PR does not declare ai_assisted as true or false",
) if {
	not ai_flag_declared
}

# METADATA
# title: AI label present on a PR declared as not AI-assisted
# description: >-
#   A PR carrying an AI label (ai-assisted, ai-generated, copilot) while
#   declaring ai_assisted false may be undisclosed AI use; it is escalated.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-6 AI disclosure"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: medium
ai_label_undisclosed contains finding(
	"ai_label_undisclosed",
	"AI Change Governance Standard AUD-6",
	sprintf("label '%s' marks AI use but the PR declares ai_assisted false", [label]),
) if {
	input.ai_assisted == false
	is_array(input.labels)
	some label in input.labels
	is_string(label)
	lower(trim_space(label)) in data.ai_change.config.ai_labels
}

# METADATA
# title: The PR author is recorded
# description: The author login is a non-blank string.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
author_present if nonblank(input.author)

# METADATA
# title: Normalised author login
# description: Lower-cased, trimmed author login, used to tell independent approvers from the author.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-3 Independent human review"}
#   severity: low
author_login := lower(trim_space(input.author)) if author_present

# METADATA
# title: Author missing from an AI-assisted change
# desc