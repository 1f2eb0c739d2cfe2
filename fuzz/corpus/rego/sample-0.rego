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
# description: Without the author the gate cannot show that the approver is someone else.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: high
author_missing contains finding(
	"author_missing",
	"AI Change Governance Standard AUD-1",
	"AI-assisted change has no author recorded",
) if {
	ai_assisted
	not author_present
}

# METADATA
# title: Model identifier recorded
# description: The model_id field is a non-blank string.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
model_id_present if nonblank(input.model_id)

# METADATA
# title: Model identifier missing
# description: An AI-assisted change must record the model identifier that produced it.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-1
#     description: AI Change Governance Standard AUD-1 Minimum audit trail
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: high
model_id_missing contains finding(
	"model_id_missing",
	"AI Change Governance Standard AUD-1",
	"AI-assisted change has no model identifier",
) if {
	ai_assisted
	not model_id_present
}

# METADATA
# title: Model on the approved list
# description: The model identifier (trimmed, lower-cased) is in data.ai_change.config.approved_models.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-2 Approved models"}
#   severity: low
model_approved if {
	model_id_present
	lower(trim_space(input.model_id)) in data.ai_change.config.approved_models
}

# METADATA
# title: Model not on the approved list
# description: AI-assisted changes may only use models approved by the AI Change Advisory Board.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-2
#     description: AI Change Governance Standard AUD-2 Approved models
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-2 Approved models"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC9.2"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.19"}
#   severity: critical
model_not_approved contains finding(
	"model_not_approved",
	"AI Change Governance Standard AUD-2",
	sprintf("model '%s' is not on the approved model list", [input.model_id]),
) if {
	ai_assisted
	model_id_present
	not model_approved
}

# METADATA
# title: Timestamp recorded
# description: The timestamp field is a non-blank string.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
timestamp_present if nonblank(input.timestamp)

# METADATA
# title: Timestamp is RFC 3339
# description: The timestamp matches the full RFC 3339 date-time pattern.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
timestamp_valid if {
	timestamp_present
	regex.match(rfc3339_pattern, input.timestamp)
}

# METADATA
# title: Timestamp missing
# description: An AI-assisted change must record when the AI output was generated.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.15"}
#   severity: high
timestamp_missing contains finding(
	"timestamp_missing",
	"AI Change Governance Standard AUD-1",
	"AI-assisted change has no timestamp",
) if {
	ai_assisted
	not timestamp_present
}

# METADATA
# title: Timestamp not RFC 3339
# description: A timestamp that is not a valid RFC 3339 date-time cannot be ordered or audited.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.15"}
#   severity: high
timestamp_invalid contains finding(
	"timestamp_invalid",
	"AI Change Governance Standard AUD-1",
	sprintf("timestamp '%s' is not an RFC 3339 date-time", [input.timestamp]),
) if {
	ai_assisted
	timestamp_present
	not timestamp_valid
}

# METADATA
# title: Context description recorded
# description: The context_description field is a non-blank string.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#   severity: low
context_description_present if nonblank(input.context_description)

# METADATA
# title: Context description missing
# description: An AI-assisted change must describe what the model was asked and what was accepted.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
context_description_missing contains finding(
	"context_description_missing",
	"AI Change Governance Standard AUD-1",
	"AI-assisted change has no context description",
) if {
	ai_assisted
	not context_description_present
}

# METADATA
# title: Approver records
# description: The approvers array, or an empty array when it is missing or not an array.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-3 Independent human review"}
#   severity: low
approver_list := input.approvers if {
	is_array(input.approvers)
} else := []

# METADATA
# title: Independent human approvers
# description: Logins (lower-cased) of approvers of kind human who are not the PR author.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-3 Independent human review"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.3"}
#   severity: low
independent_human_approvers contains login if {
	author_present
	some approver in approver_list
	approver.kind == "human"
	nonblank(approver.login)
	login := lower(trim_space(approver.login))
	login != author_login
}

# METADATA
# title: No independent human approver
# description: >-
#   An AI-assisted change needs an approval from a human who is not the
#   author; bot approvals and self-approvals do not count.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-3
#     description: AI Change Governance Standard AUD-3 Independent human review
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-3 Independent human review"}
#     - {regulation: "AI Change Governance Standard", clause: "AUD-1 Minimum audit trail"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.3"}
#   severity: critical
independent_approver_missing contains finding(
	"independent_approver_missing",
	"AI Change Governance Standard AUD-3",
	"AI-assisted change has no human approver other than the author",
) if {
	ai_assisted
	author_present
	count(independent_human_approvers) == 0
}

# METADATA
# title: Author listed among the approvers
# description: A self-approval is ignored for every review count and recorded for the audit trail.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-3 Independent human review"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.3"}
#   severity: low
author_listed_as_approver contains finding(
	"author_listed_as_approver",
	"AI Change Governance Standard AUD-3",
	sprintf("approval by the author '%s' was ignored", [author_login]),
) if {
	ai_assisted
	author_present
	some approver in approver_list
	nonblank(approver.login)
	lower(trim_space(approver.login)) == author_login
}
