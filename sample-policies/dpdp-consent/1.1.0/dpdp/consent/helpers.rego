package dpdp.consent

# Shared facts about the request, derived from the input. No finding is raised here.

# METADATA
# title: Age below which a Data Principal is a child
# description: A child is an individual who has not completed the age of eighteen years.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#   severity: high
child_age_threshold := 18

# METADATA
# title: Maximum age of a consent in days
# description: Organisational re-consent cycle adopted in 1.1.0 - a consent older than this many days at the time of the request is treated as expired and must be renewed after a fresh notice.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)"}
#   severity: high
consent_max_age_days := 365

# METADATA
# title: RFC 3339 timestamp shape
# description: Timestamps are parsed only when they look like RFC 3339 date-times, so a malformed value is treated as absent instead of raising a builtin error.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: low
rfc3339_pattern := `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

# METADATA
# title: Parse an RFC 3339 timestamp to nanoseconds
# description: Undefined when the value is missing or not an RFC 3339 date-time.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: low
timestamp_ns(ts) := time.parse_rfc3339_ns(ts) if {
	is_string(ts)
	regex.match(rfc3339_pattern, ts)
}

# METADATA
# title: Time of the processing request
# description: The request timestamp supplied by the calling system; the policy never reads the wall clock, so a decision replays identically.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: medium
request_ns := timestamp_ns(input.request.timestamp)

# METADATA
# title: Time the consent was given
# description: When the Data Principal (or her guardian) gave the consent relied upon.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: medium
consent_given_ns := timestamp_ns(input.consent.given_at)

# METADATA
# title: Time the notice was given
# description: When the Section 5 notice accompanying or preceding the consent request was given.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)"}
#   severity: medium
notice_ns := timestamp_ns(input.consent.notice.given_at)

# METADATA
# title: Time the consent expires
# description: Expiry recorded on the consent artefact, if any.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#   severity: medium
consent_expires_ns := timestamp_ns(input.consent.expires_at)

# METADATA
# title: Time the consent was withdrawn
# description: When the Data Principal withdrew the consent, if she did.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(4)"}
#   severity: medium
consent_withdrawn_ns := timestamp_ns(input.consent.withdrawn_at)

# METADATA
# title: Request identifier for messages
# description: The calling system's request id, or a placeholder.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(1)"}
#   severity: low
request_id := object.get(object.get(input, "request", {}), "id", "<no request id>")

# METADATA
# title: Data Principal identifier for messages
# description: The Data Principal's id, or a placeholder.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(j)"}
#   severity: low
principal_id := object.get(object.get(input, "data_principal", {}), "id", "<no principal id>")

# METADATA
# title: Consent identifier for messages
# description: The consent artefact's id, or a placeholder.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: low
consent_id := object.get(input.consent, "id", "<no consent id>") if consent_present

# METADATA
# title: Basis declared is consent
# description: The request relies on the Data Principal's consent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)(a)"}
#   severity: medium
consent_basis if input.basis.type == "consent"

# METADATA
# title: Basis declared is a legitimate use
# description: The request relies on one of the certain legitimate uses.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)(b)"}
#   severity: medium
legitimate_use_basis if input.basis.type == "legitimate_use"

# METADATA
# title: A consent artefact is attached
# description: The request carries a consent record object.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: medium
consent_present if is_object(input.consent)

# METADATA
# title: A purpose is stated
# description: The request names the purpose of processing.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#   severity: high
purpose_stated if {
	is_string(input.request.purpose)
	trim_space(input.request.purpose) != ""
}

# METADATA
# title: Adopted legitimate use claimed
# description: The configuration entry of the Section 7 ground the request claims, when the organisation has adopted it.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#   severity: medium
legitimate_use_entry := data.dpdp.config.legitimate_uses[input.basis.legitimate_use] if legitimate_use_basis

# METADATA
# title: Data Fiduciary is the State
# description: The Data Fiduciary is the State or one of its instrumentalities.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7(b)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 7(c)"}
#   severity: medium
fiduciary_is_state if input.request.data_fiduciary.type == "state"

# METADATA
# title: Data Principal is a child (declared age)
# description: The declared age of the Data Principal is below eighteen years.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
is_child if {
	is_number(input.data_principal.age)
	input.data_principal.age < child_age_threshold
}

# METADATA
# title: Data Principal is a child (date of birth)
# description: Since 1.1.0 the age computed from the date of birth on the date of the request also counts; a declared age of eighteen or more does not override a date of birth showing a minor.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
is_child if age_from_date_of_birth < child_age_threshold

# METADATA
# title: Calendar date shape
# description: A date of birth is read only when it is an ISO 8601 calendar date (YYYY-MM-DD).
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#   severity: low
date_pattern := `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`

# METADATA
# title: Birthday not yet reached in the year of the request
# description: One year is subtracted from the difference of years when the request's month and day come before the birth month and day.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#   severity: low
birthday_pending(on, dob) := 1 if {
	substring(on, 5, 5) < substring(dob, 5, 5)
} else := 0

# METADATA
# title: Age in completed years from the date of birth
# description: Completed years between the date of birth and the calendar date of the request as written in its timestamp (in the request's own UTC offset, normally IST).
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#   severity: high
age_from_date_of_birth := age if {
	dob := input.data_principal.date_of_birth
	is_string(dob)
	regex.match(date_pattern, dob)
	is_number(request_ns)
	on := substring(input.request.timestamp, 0, 10)
	age := (to_number(substring(on, 0, 4)) - to_number(substring(dob, 0, 4))) - birthday_pending(on, dob)
}

# METADATA
# title: Age established by declared age
# description: The calling system supplied a numeric age.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: medium
age_established if is_number(input.data_principal.age)

# METADATA
# title: Age established by date of birth
# description: The calling system supplied a date of birth from which the age on the request date can be computed.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: medium
age_established if is_number(age_from_date_of_birth)

# METADATA
# title: Guardian consent is required (child)
# description: Before processing a child's personal data the Data Fiduciary needs verifiable consent of the parent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
guardian_consent_required if is_child

# METADATA
# title: Guardian consent is required (person with disability)
# description: Before processing personal data of a person with disability who has a lawful guardian, verifiable consent of the lawful guardian is needed.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
guardian_consent_required if input.data_principal.has_lawful_guardian == true

# METADATA
# title: Processing exempt from guardian consent
# description: Legitimate uses for which the organisation applies the exemption from verifiable guardian consent prescribed under Section 9(4) (Fourth Schedule to the DPDP Rules, 2025).
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(4)"}
#   severity: high
guardian_consent_exempt if {
	legitimate_use_basis
	input.basis.legitimate_use in data.dpdp.config.guardian_consent_exempt_uses
}

# METADATA
# title: Verifiable guardian consent recorded
# description: The consent was given by a parent or lawful guardian and the guardian's identity and age were verified.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
verifiable_guardian_consent if {
	input.consent.given_by in data.dpdp.config.guardian_roles
	input.consent.guardian_verification.verified == true
}

# METADATA
# title: Processing activities of the request
# description: The activities the request performs on the data (storage, analytics, tracking, targeted_advertising and so on).
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(3)"}
#   severity: medium
requested_activities := {a | some a in object.get(object.get(input, "request", {}), "processing_activities", [])}

# METADATA
# title: A Data Processor is engaged
# description: The processing is carried out by a Data Processor on behalf of the Data Fiduciary.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#   severity: medium
processor_engaged if is_object(input.processor)

# METADATA
# title: Processor contract referenced
# description: The processing request references the contract under which the Data Processor acts.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#   severity: medium
processor_contract_documented if {
	is_string(input.processor.contract_ref)
	trim_space(input.processor.contract_ref) != ""
}
