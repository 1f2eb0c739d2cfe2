# METADATA
# title: PMLA 2002 and RBI KYC Direction 2016 - customer due diligence and transaction monitoring
# description: >-
#   Decides whether a customer onboarding or a customer transaction may proceed at a
#   regulated entity (bank). Checks customer identification and verification (officially
#   valid document, PAN or Form 60), sanctions-list screening, Politically Exposed Person
#   handling, risk categorisation and enhanced due diligence, periodic updation of KYC,
#   and the cash-transaction and suspicious-transaction reporting triggers of the
#   PMLA (Maintenance of Records) Rules 2005.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI Master Direction - Know Your Customer (KYC) Direction, 2016
#   - ref: https://fiuindia.gov.in/
#     description: Financial Intelligence Unit - India (CTR and STR reporting)
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rules 3, 8, 9"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Chapters IV to IX"}
#   severity: high
package pmla.kyc

# METADATA
# title: Blocking findings
# description: Findings that stop the onboarding or transaction outright.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#     - {regulation: "UAPA 1967", clause: "Section 51A"}
#   severity: critical
block := {finding |
	some findings in [
		event_timestamp_invalid,
		event_type_unrecognised,
		transaction_details_missing,
		officially_valid_document_missing,
		identity_not_verified,
		pan_or_form60_missing,
		sanctions_list_match,
	]
	some finding in findings
}

# METADATA
# title: Escalation findings
# description: Findings that need a human decision (senior management, compliance review, STR desk).
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(2)"}
#   severity: high
escalate := {finding |
	some findings in [
		sanctions_screening_missing,
		pep_senior_management_approval_missing,
		risk_category_unassigned,
		enhanced_due_diligence_incomplete,
		structuring_suspected,
		periodic_kyc_update_overdue,
		kyc_update_date_missing,
	]
	some finding in findings
}

# METADATA
# title: Audit findings
# description: Findings that let the event proceed but must be reported or monitored.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iv)"}
#   severity: medium
audit := {finding |
	some findings in [
		cash_transaction_report_required,
		cash_series_report_required,
		enhanced_monitoring_required,
	]
	some finding in findings
}

# METADATA
# title: Outcome by precedence
# description: BLOCK over ESCALATE over APPROVE_WITH_AUDIT over APPROVE.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Findings that drive each outcome
# description: The findings listed as reasons for a given outcome.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
findings_by_outcome := {
	"BLOCK": block,
	"ESCALATE": escalate,
	"APPROVE_WITH_AUDIT": audit,
	"APPROVE": set(),
}

# METADATA
# title: KYC / AML decision
# description: >-
#   Gavel decision for one onboarding or transaction event. The reasons are the findings
#   of the winning outcome, ordered by citation then message.
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 4"}
#   severity: high
decision := {
	"outcome": outcome,
	"reasons": [r | some r in findings_by_outcome[outcome]],
}
