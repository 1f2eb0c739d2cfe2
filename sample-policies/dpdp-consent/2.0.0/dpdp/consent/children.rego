package dpdp.consent

# Section 9 - processing of personal data of children and of persons with disability who have a lawful guardian.

# METADATA
# title: Verifiable guardian consent before processing a child's data
# description: Before processing personal data of a child, or of a person with disability who has a lawful guardian, the Data Fiduciary must obtain verifiable consent of the parent or lawful guardian, unless the processing falls in an exemption applied under Section 9(4).
# related_resources:
#   - ref: https://www.meity.gov.in/data-protection-framework
#     description: DPDP Act 2023, Section 9 (processing of personal data of children)
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: critical
verifiable_guardian_consent_missing contains reason if {
	guardian_consent_required
	not guardian_consent_exempt
	not verifiable_guardian_consent
	reason := {
		"rule": "verifiable_guardian_consent_missing",
		"citation": "DPDP Act 2023 Section 9(1)",
		"message": sprintf("Data Principal %v is a child or has a lawful guardian; no verified consent of a parent or lawful guardian is recorded for request %v", [principal_id, request_id]),
	}
}

# METADATA
# title: No tracking, behavioural monitoring or targeted advertising of children
# description: A Data Fiduciary shall not undertake tracking or behavioural monitoring of children or targeted advertising directed at children; guardian consent does not cure it, and this policy applies no exemption to it.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(3)"}
#   severity: critical
child_tracking_or_targeting contains reason if {
	is_child
	banned := {a | some a in requested_activities; a in data.dpdp.config.child_prohibited_activities}
	count(banned) > 0
	reason := {
		"rule": "child_tracking_or_targeting",
		"citation": "DPDP Act 2023 Section 9(3)",
		"message": sprintf("request %v performs %v on the data of child %v", [request_id, concat(", ", sort(banned)), principal_id]),
	}
}

# METADATA
# title: Age of the Data Principal must be established
# description: Since 1.1.0, when neither an age nor a date of birth is supplied the policy cannot tell whether Section 9 applies; the request goes to the Data Protection Officer for age assurance, unless it is a use exempt from guardian consent.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 2(f)"}
#   severity: high
age_not_established contains reason if {
	not age_established
	not guardian_consent_exempt
	reason := {
		"rule": "age_not_established",
		"citation": "DPDP Act 2023 Section 9(1)",
		"message": sprintf("neither an age nor a date of birth is recorded for Data Principal %v; establish whether she is a child before processing (request %v)", [principal_id, request_id]),
	}
}
