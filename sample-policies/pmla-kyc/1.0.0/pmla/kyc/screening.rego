package pmla.kyc

# METADATA
# title: Customer matches a sanctions list
# description: >-
#   No account may be held or transaction undertaken for an individual or entity on the
#   UNSC sanctions lists (ISIL and Al-Qaida, 1988 Taliban) or designated under Section 51A
#   of the UAPA. Every screening hit not cleared as a false positive blocks the event.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Chapter IX (Para 51, UNSC sanctions lists)
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#     - {regulation: "UAPA 1967", clause: "Section 51A"}
#   severity: critical
sanctions_list_match contains reason if {
	some hit in customer.screening.sanctions_hits
	disposition := object.get(hit, "disposition", "unreviewed")
	disposition != "false_positive"
	reason := {
		"rule": "sanctions_list_match",
		"citation": "RBI KYC Direction 2016 Para 51; UAPA 1967 Section 51A",
		"message": sprintf("customer matches sanctions list %v entry %v (disposition %v)", [
			object.get(hit, "list", "(unnamed list)"),
			object.get(hit, "entry_id", "(no entry id)"),
			disposition,
		]),
	}
}

# METADATA
# title: Sanctions screening must be evidenced
# description: The event must carry the result of sanctions-list screening of the customer.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#   severity: high
sanctions_screening_missing contains reason if {
	object.get(object.get(customer, "screening", {}), "sanctions_screened", false) != true
	reason := {
		"rule": "sanctions_screening_missing",
		"citation": "RBI KYC Direction 2016 Para 51",
		"message": "customer.screening.sanctions_screened is not true: sanctions-list screening is not evidenced",
	}
}

# METADATA
# title: PEP categories treated as politically exposed
# description: >-
#   Screening categories to which the PEP measures apply. Version 1.0.0 applies them to the
#   PEP only.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(db)"}
#   severity: high
pep_categories_in_scope := {"pep"}

# METADATA
# title: Customer PEP category
# description: The customer's PEP screening category, "none" when absent.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#   severity: low
pep_category := object.get(object.get(customer, "pep", {}), "category", "none")

# METADATA
# title: PEP measures apply
# description: True when the customer's PEP category is in scope of the PEP measures.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#   severity: medium
pep_in_scope if pep_category in pep_categories_in_scope

# METADATA
# title: Senior management approval recorded
# description: >-
#   True when the PEP relationship is approved by a member of senior management (role list
#   in data.pmla.config.senior_management_roles).
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iii)"}
#   severity: low
senior_management_approved if {
	approval := customer.pep.senior_management_approval
	approval.approved == true
	approval.approver_role in data.pmla.config.senior_management_roles
}

# METADATA
# title: PEP relationship needs senior management approval
# description: >-
#   Opening an account for a PEP, or continuing one when an existing customer becomes a
#   PEP, needs the approval of senior management; without it the event is escalated.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Para 41 (Accounts of Politically Exposed Persons)
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iii)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(v)"}
#   severity: high
pep_senior_management_approval_missing contains reason if {
	pep_in_scope
	not senior_management_approved
	reason := {
		"rule": "pep_senior_management_approval_missing",
		"citation": "RBI KYC Direction 2016 Para 41(a)(iii)",
		"message": sprintf("customer PEP category %v requires approval by senior management, none recorded", [pep_category]),
	}
}

# METADATA
# title: Customer risk categories
# description: The risk categories every customer must be placed in.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: low
risk_categories := {"low", "medium", "high"}

# METADATA
# title: Customer risk category
# description: The customer's risk category, "unassigned" when absent.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: low
risk_category := object.get(customer, "risk_category", "unassigned")

# METADATA
# title: Customer must be risk-categorised
# description: Every customer must be categorised as low, medium or high risk.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: high
risk_category_unassigned contains reason if {
	not risk_category in risk_categories
	reason := {
		"rule": "risk_category_unassigned",
		"citation": "RBI KYC Direction 2016 Para 12(a)",
		"message": sprintf("customer risk category %v is not one of low, medium, high", [risk_category]),
	}
}

# METADATA
# title: Enhanced due diligence not needed
# description: True when the customer is neither high risk nor a PEP in scope.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#   severity: low
edd_not_required if {
	risk_category != "high"
	not pep_in_scope
}

# METADATA
# title: Enhanced due diligence needed
# description: True for high-risk customers and for PEPs in scope.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)"}
#   severity: medium
edd_required if not edd_not_required

# METADATA
# title: Enhanced due diligence must be complete
# description: >-
#   High-risk customers and PEPs are subject to enhanced due diligence; until it is
#   recorded as complete the event is escalated to compliance.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(ii)"}
#   severity: high
enhanced_due_diligence_incomplete contains reason if {
	edd_required
	object.get(object.get(customer, "due_diligence", {}), "edd_completed", false) != true
	reason := {
		"rule": "enhanced_due_diligence_incomplete",
		"citation": "RBI KYC Direction 2016 Para 12; Para 41(a)(ii)",
		"message": sprintf("enhanced due diligence required (risk category %v, PEP category %v) but not recorded as complete", [risk_category, pep_category]),
	}
}

# METADATA
# title: High-risk and PEP relationships are under enhanced monitoring
# description: >-
#   An event of a high-risk customer or a PEP that passes every other check proceeds under
#   enhanced ongoing monitoring, recorded for audit.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iv)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#   severity: medium
enhanced_monitoring_required contains reason if {
	edd_required
	reason := {
		"rule": "enhanced_monitoring_required",
		"citation": "RBI KYC Direction 2016 Para 41(a)(iv)",
		"message": sprintf("customer under enhanced ongoing monitoring (risk category %v, PEP category %v)", [risk_category, pep_category]),
	}
}
