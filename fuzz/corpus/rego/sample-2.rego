# Policy exceptions: logged, independently approved, followed up within 48 hours (AUD-5).
package ai_change.audit

# METADATA
# title: Exception follow-up window in hours
# description: A logged policy exception must be followed up within this many hours of logged_at.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-5
#     description: AI Change Governance Standard AUD-5 Policy exceptions
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC4.2"}
#   severity: high
exception_follow_up_window_hours := 48

# METADATA
# title: Nanoseconds per hour
# description: Unit conversion for the follow-up clock.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
nanos_per_hour := 3600000000000

# METADATA
# title: Fields a logged exception must carry
# description: Exception id, reason, approver and the RFC 3339 time it was logged.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.36"}
#   severity: medium
exception_required_fields := ["id", "reason", "approver", "logged_at"]

# METADATA
# title: A policy exception is attached to the PR
# description: The exception field is an object.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_present if is_object(input.exception)

# METADATA
# title: Exception field recorded
# description: The named exception field is a non-blank string.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_field_present(field) if nonblank(input.exception[field])

# METADATA
# title: Exception fields missing
# description: Required exception fields that are missing or blank, in the order id, reason, approver, logged_at.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_missing_fields := [field |
	some field in exception_required_fields
	not exception_field_present(field)
]

# METADATA
# title: Exception logged_at is RFC 3339
# description: The exception's logged_at matches the RFC 3339 pattern (and therefore parses).
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_logged_at_valid if {
	exception_field_present("logged_at")
	regex.match(rfc3339_pattern, input.exception.logged_at)
}

# METADATA
# title: Exception properly logged
# description: The exception carries id, reason, approver and a valid RFC 3339 logged_at.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.36"}
#   severity: low
exception_logged if {
	exception_present
	count(exception_missing_fields) == 0
	exception_logged_at_valid
}

# METADATA
# title: Exception record incomplete
# description: A policy exception without id, reason, approver or logged_at is not logged and cannot be honoured.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-5
#     description: AI Change Governance Standard AUD-5 Policy exceptions
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.36"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: high
exception_record_incomplete contains finding(
	"exception_record_incomplete",
	"AI Change Governance Standard AUD-5",
	sprintf("policy exception is missing: %s", [concat(", ", exception_missing_fields)]),
) if {
	exception_present
	count(exception_missing_fields) > 0
}

# METADATA
# title: Exception logged_at not RFC 3339
# description: The follow-up clock cannot start from a logged_at that is not an RFC 3339 date-time.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.15"}
#   severity: high
exception_logged_at_invalid contains finding(
	"exception_logged_at_invalid",
	"AI Change Governance Standard AUD-5",
	sprintf("policy exception logged_at '%s' is not an RFC 3339 date-time", [input.exception.logged_at]),
) if {
	exception_present
	exception_field_present("logged_at")
	not exception_logged_at_valid
}

# METADATA
# title: Exception approved by the PR author
# description: The author of a logged exception's PR is its approver.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.3"}
#   severity: low
exception_approver_is_author if {
	exception_logged
	author_present
	lower(trim_space(input.exception.approver)) == author_login
}

# METADATA
# title: Exception self-approved
# description: A policy exception approved by the PR author violates segregation of duties and waives nothing.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.3"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: critical
exception_self_approved contains finding(
	"exception_self_approved",
	"AI Change Governance Standard AUD-5",
	sprintf("policy exception %s was approved by the PR author", [input.exception.id]),
) if {
	exception_approver_is_author
}

# METADATA
# title: Exception in force
# description: A logged exception approved by someone other than the author.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_in_force if {
	exception_logged
	not exception_approver_is_author
}

# METADATA
# title: Rule waived by the exception
# description: The exception is in force, lists the rule in waives, and the rule is waivable.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#   severity: medium
waived(rule) if {
	exception_in_force
	rule in waivable_rules
	is_array(input.exception.waives)
	rule in input.exception.waives
}

# METADATA
# title: Exception waiver applied
# description: A high-risk review rule that would have fired was waived by a logged exception; recorded for audit.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC8.1"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 8.32"}
#   severity: medium
exception_waiver_applied contains finding(
	"exception_waiver_applied",
	"AI Change Governance Standard AUD-5",
	sprintf("policy exception %s waives %s (approved by %s)", [input.exception.id, rule, input.exception.approver]),
) if {
	some rule in high_risk_shortfalls
	waived(rule)
}

# METADATA
# title: Current time
# description: Evaluation time in nanoseconds (time.now_ns), the clock for the exception follow-up window.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
now_ns := time.now_ns()

# METADATA
# title: Exception logged time
# description: The exception's logged_at in nanoseconds since the epoch.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_logged_ns := time.parse_rfc3339_ns(input.exception.logged_at) if exception_logged

# METADATA
# title: Hours since the exception was logged
# description: Whole hours elapsed between logged_at and now (0 if logged_at is in the future).
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_age_hours := (elapsed - (elapsed % nanos_per_hour)) / nanos_per_hour if {
	elapsed := now_ns - exception_logged_ns
	elapsed >= 0
} else := 0

# METADATA
# title: Exception follow-up completed
# description: The exception's follow_up.completed_at is an RFC 3339 date-time.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#   severity: low
exception_follow_up_done if {
	exception_logged
	is_string(input.exception.follow_up.completed_at)
	regex.match(rfc3339_pattern, input.exception.follow_up.completed_at)
}

# METADATA
# title: Exception follow-up overdue
# description: A logged exception with no completed follow-up more than 48 hours after logged_at is escalated.
# related_resources:
#   - ref: https://governance.example.com/standards/ai-change-governance#aud-5
#     description: AI Change Governance Standard AUD-5 Policy exceptions
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC4.2"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.36"}
#   severity: high
exception_follow_up_overdue contains finding(
	"exception_follow_up_overdue",
	"AI Change Governance Standard AUD-5",
	sprintf(
		"policy exception %s logged %d h ago has no follow-up (due within %d h)",
		[input.exception.id, exception_age_hours, exception_follow_up_window_hours],
	),
) if {
	exception_logged
	not exception_follow_up_done
	now_ns - exception_logged_ns > exception_follow_up_window_hours * nanos_per_hour
}

# METADATA
# title: Exception follow-up pending inside the window
# description: A logged exception still inside its 48-hour follow-up window is allowed and recorded.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "SOC 2 Trust Services Criteria", clause: "CC4.2"}
#   severity: low
exception_follow_up_pending contains finding(
	"exception_follow_up_pending",
	"AI Change Governance Standard AUD-5",
	sprintf(
		"policy exception %s logged %d h ago; follow-up due within %d h",
		[input.exception.id, exception_age_hours, exception_follow_up_window_hours],
	),
) if {
	exception_logged
	not exception_follow_up_done
	now_ns - exception_logged_ns <= exception_follow_up_window_hours * nanos_per_hour
}

# METADATA
# title: Exception follow-up completed
# description: A logged exception whose follow-up is recorded as completed; kept in the audit trail.
# custom:
#   citations:
#     - {regulation: "AI Change Governance Standard", clause: "AUD-5 Policy exceptions"}
#     - {regulation: "ISO/IEC 27001:2022", clause: "Annex A 5.36"}
#   severity: low
exception_follow_up_completed contains finding(
	"exception_follow_up_completed",
	"AI Change Governance Standard AUD-5",
	sprintf(
		"policy exception %s followed up at %s",
		[input.exception.id, input.exception.follow_up.completed_at],
	),
) if {
	exception_follow_up_done
}
