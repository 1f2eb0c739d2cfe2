package dpdp.consent

# Section 4 lawful basis, Sections 5 and 6 consent and notice, Section 7 legitimate uses.

# METADATA
# title: Processing needs a lawful basis
# description: Personal data may be processed only for a lawful purpose for which the Data Principal gave consent, or for a certain legitimate use. A request that declares neither is blocked.
# related_resources:
#   - ref: https://www.meity.gov.in/data-protection-framework
#     description: DPDP Act 2023, Section 4 (grounds for processing personal data)
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#   severity: critical
lawful_basis_missing contains reason if {
	not consent_basis
	not legitimate_use_basis
	reason := {
		"rule": "lawful_basis_missing",
		"citation": "DPDP Act 2023 Section 4(1)",
		"message": sprintf("request %v declares no lawful basis (basis.type is %v); processing needs consent or a Section 7 legitimate use", [request_id, object.get(object.get(input, "basis", {}), "type", "missing")]),
	}
}

# METADATA
# title: Purpose of processing must be stated
# description: Processing is lawful only for a lawful purpose, and consent and notice are tied to a specified purpose; a request without a purpose cannot be assessed.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)(i)"}
#   severity: critical
purpose_not_specified contains reason if {
	not purpose_stated
	reason := {
		"rule": "purpose_not_specified",
		"citation": "DPDP Act 2023 Section 4(1)",
		"message": sprintf("request %v does not state the purpose of processing", [request_id]),
	}
}

# METADATA
# title: Consent basis needs a consent record
# description: The Data Fiduciary must be able to prove that consent was given; a consent-based request without a consent artefact is blocked.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)(a)"}
#   severity: critical
consent_record_missing contains reason if {
	consent_basis
	not consent_present
	reason := {
		"rule": "consent_record_missing",
		"citation": "DPDP Act 2023 Section 6(10)",
		"message": sprintf("request %v relies on consent but carries no consent record", [request_id]),
	}
}

# METADATA
# title: Consent must have been granted
# description: Consent must signify agreement by a clear affirmative action; a consent artefact that is pending, rejected or of unknown status is no consent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#   severity: critical
consent_not_granted contains reason if {
	consent_basis
	consent_present
	not object.get(input.consent, "status", "missing") in {"granted", "withdrawn"}
	reason := {
		"rule": "consent_not_granted",
		"citation": "DPDP Act 2023 Section 6(1)",
		"message": sprintf("consent %v has status %v, not granted", [consent_id, object.get(input.consent, "status", "missing")]),
	}
}

# METADATA
# title: Consent withdrawn by status
# description: The consent artefact is marked withdrawn.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(4)"}
#   severity: critical
consent_withdrawal_effective if input.consent.status == "withdrawn"

# METADATA
# title: Consent withdrawn before the request
# description: A withdrawal time at or before the request time ends the consent even if the status was not yet updated.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(4)"}
#   severity: critical
consent_withdrawal_effective if consent_withdrawn_ns <= request_ns

# METADATA
# title: Withdrawn consent stops processing
# description: Once the Data Principal withdraws consent the Data Fiduciary must cease, and cause its Data Processors to cease, processing on that consent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(4)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 6(6)"}
#   severity: critical
consent_withdrawn contains reason if {
	consent_basis
	consent_present
	consent_withdrawal_effective
	reason := {
		"rule": "consent_withdrawn",
		"citation": "DPDP Act 2023 Section 6(6)",
		"message": sprintf("consent %v was withdrawn (withdrawn_at %v); processing on it must cease", [consent_id, object.get(input.consent, "withdrawn_at", "not recorded")]),
	}
}

# METADATA
# title: Consent must be specific to the purpose
# description: Consent signifies agreement to processing for the specified purpose only; the request's purpose must be one of the purposes consented to.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#   severity: critical
consent_purpose_mismatch contains reason if {
	consent_basis
	consent_present
	purpose_stated
	not input.request.purpose in object.get(input.consent, "purposes", [])
	reason := {
		"rule": "consent_purpose_mismatch",
		"citation": "DPDP Act 2023 Section 6(1)",
		"message": sprintf("purpose %v is not among the purposes of consent %v", [input.request.purpose, consent_id]),
	}
}

# METADATA
# title: Data processed must be within the consented data
# description: Consent is limited to the personal data necessary for the specified purpose; data categories outside the consent artefact are processed without consent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#   severity: high
consent_data_beyond_scope contains reason if {
	consent_basis
	consent_present
	scope := input.consent.data_categories
	excess := {c | some c in object.get(input.request, "data_categories", []); not c in scope}
	count(excess) > 0
	reason := {
		"rule": "consent_data_beyond_scope",
		"citation": "DPDP Act 2023 Section 6(1)",
		"message": sprintf("data categories %v are outside consent %v", [concat(", ", sort(excess)), consent_id]),
	}
}

# METADATA
# title: Expired consent is no consent
# description: A consent artefact recorded with an expiry no longer supports processing at or after that time.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(7)"}
#   severity: critical
consent_expired contains reason if {
	consent_basis
	consent_present
	request_ns >= consent_expires_ns
	reason := {
		"rule": "consent_expired",
		"citation": "DPDP Act 2023 Section 6(1)",
		"message": sprintf("consent %v expired at %v, before the request at %v", [consent_id, input.consent.expires_at, input.request.timestamp]),
	}
}

# METADATA
# title: Consent older than the re-consent cycle is expired
# description: Since 1.1.0 a consent given more than consent_max_age_days (365) days before the request is treated as expired even when the artefact records no expiry; the Data Principal must be given a fresh notice and asked again.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)"}
#   severity: high
consent_stale contains reason if {
	consent_basis
	consent_present
	request_ns > time.add_date(consent_given_ns, 0, 0, consent_max_age_days)
	reason := {
		"rule": "consent_stale",
		"citation": "DPDP Act 2023 Section 6(1)",
		"message": sprintf("consent %v was given at %v, more than %v days before the request at %v; renew it after a fresh notice", [consent_id, input.consent.given_at, consent_max_age_days, input.request.timestamp]),
	}
}

# METADATA
# title: Notice preceded the consent
# description: The Section 5 notice was given at or before the time consent was given.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)"}
#   severity: high
notice_precedes_consent if notice_ns <= consent_given_ns

# METADATA
# title: Consent must follow a notice
# description: Every request for consent must be accompanied or preceded by a notice describing the data, the purpose, and how to withdraw and complain; consent with no prior notice is blocked.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 5(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 6(1)"}
#   severity: high
consent_without_notice contains reason if {
	consent_basis
	consent_present
	is_number(consent_given_ns)
	not notice_precedes_consent
	reason := {
		"rule": "consent_without_notice",
		"citation": "DPDP Act 2023 Section 5(1)",
		"message": sprintf("consent %v given at %v was not preceded by a notice (notice given_at %v)", [consent_id, input.consent.given_at, object.get(object.get(input.consent, "notice", {}), "given_at", "none")]),
	}
}

# METADATA
# title: Consent and request times are known
# description: Both the consent time and the request time are valid RFC 3339 timestamps.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: high
consent_timing_known if {
	is_number(consent_given_ns)
	is_number(request_ns)
}

# METADATA
# title: Consent validity must be provable
# description: The Data Fiduciary bears the burden of proving that consent was given; without a valid consent time and request time, expiry and withdrawal cannot be checked and the request is blocked.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: high
consent_timing_unverifiable contains reason if {
	consent_basis
	consent_present
	not consent_timing_known
	reason := {
		"rule": "consent_timing_unverifiable",
		"citation": "DPDP Act 2023 Section 6(10)",
		"message": sprintf("consent %v given_at %v or request timestamp %v is missing or not RFC 3339", [consent_id, object.get(input.consent, "given_at", "missing"), object.get(object.get(input, "request", {}), "timestamp", "missing")]),
	}
}

# METADATA
# title: Legitimate use must be an adopted Section 7 ground
# description: A request relying on a legitimate use must name a Section 7 ground that the organisation has adopted (data.dpdp.config.legitimate_uses).
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)(b)"}
#   severity: critical
legitimate_use_not_recognised contains reason if {
	legitimate_use_basis
	not legitimate_use_entry
	reason := {
		"rule": "legitimate_use_not_recognised",
		"citation": "DPDP Act 2023 Section 7",
		"message": sprintf("legitimate use %v is not an adopted Section 7 ground", [object.get(input.basis, "legitimate_use", "missing")]),
	}
}

# METADATA
# title: State-only legitimate uses
# description: Processing to provide a prescribed subsidy, benefit, service, certificate, licence or permit, or to perform a function under law, is a legitimate use only for the State and its instrumentalities.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7(b)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 7(c)"}
#   severity: critical
legitimate_use_reserved_for_state contains reason if {
	legitimate_use_entry.state_only == true
	not fiduciary_is_state
	reason := {
		"rule": "legitimate_use_reserved_for_state",
		"citation": sprintf("DPDP Act 2023 %v", [legitimate_use_entry.clause]),
		"message": sprintf("legitimate use %v is available only to the State and its instrumentalities, not to %v", [input.basis.legitimate_use, object.get(object.get(object.get(input, "request", {}), "data_fiduciary", {}), "name", "this Data Fiduciary")]),
	}
}

# METADATA
# title: Voluntarily provided data only for the purpose it was provided for
# description: Since 1.1.0 the Section 7(a) ground covers only the specified purpose for which the Data Principal voluntarily provided the data; the request must record that purpose (basis.provided_for_purpose) and it must equal the request's purpose.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7(a)"}
#   severity: critical
voluntary_use_beyond_specified_purpose contains reason if {
	legitimate_use_entry
	input.basis.legitimate_use == "voluntarily_provided"
	not object.get(input.basis, "provided_for_purpose", null) == object.get(input.request, "purpose", null)
	reason := {
		"rule": "voluntary_use_beyond_specified_purpose",
		"citation": "DPDP Act 2023 Section 7(a)",
		"message": sprintf("data was voluntarily provided for %v, not for %v", [object.get(input.basis, "provided_for_purpose", "an unrecorded purpose"), object.get(input.request, "purpose", "an unstated purpose")]),
	}
}

# METADATA
# title: Voluntarily provided data not used after an objection
# description: Since 1.1.0 the Section 7(a) ground is unavailable once the Data Principal has indicated that she does not consent to the use of her data.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7(a)"}
#   severity: critical
voluntary_use_objected contains reason if {
	legitimate_use_entry
	input.basis.legitimate_use == "voluntarily_provided"
	input.basis.objection_recorded == true
	reason := {
		"rule": "voluntary_use_objected",
		"citation": "DPDP Act 2023 Section 7(a)",
		"message": sprintf("Data Principal %v has indicated she does not consent to the use of the data she provided (request %v)", [principal_id, request_id]),
	}
}

# METADATA
# title: Legitimate use documentation referenced
# description: The request references the record (policy, statutory provision, order, case sheet) supporting the legitimate use.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(1)"}
#   severity: medium
legitimate_use_documented if {
	is_string(input.basis.documentation_ref)
	trim_space(input.basis.documentation_ref) != ""
}

# METADATA
# title: Undocumented legitimate use is approved with audit
# description: A listed legitimate use without a documentation reference is allowed, but the decision is logged for the Data Protection Officer's audit, since the Data Fiduciary remains responsible for compliance.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(1)"}
#   severity: medium
legitimate_use_undocumented contains reason if {
	legitimate_use_entry
	not legitimate_use_documented
	reason := {
		"rule": "legitimate_use_undocumented",
		"citation": sprintf("DPDP Act 2023 %v", [legitimate_use_entry.clause]),
		"message": sprintf("legitimate use %v is claimed for request %v without a documentation reference", [input.basis.legitimate_use, request_id]),
	}
}
