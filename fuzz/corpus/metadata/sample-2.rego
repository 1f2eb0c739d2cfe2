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
#     - {regulation: "AI Change Governance Standard", clause: 