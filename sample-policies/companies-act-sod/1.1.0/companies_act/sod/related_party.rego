package companies_act.sod

# METADATA
# title: Related-party transaction
# description: >-
#   The counterparty is flagged as a related party (section 2(76) of the
#   Companies Act / Reg. 2(1)(zb) of the LODR) and money moves or is booked:
#   a payment or a journal entry. Creating a vendor is not itself a
#   related-party transaction.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.2(76)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 2(1)(zb)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 2(1)(zc)"}
#   severity: medium
related_party_transaction if {
	counterparty.related_party == true
	known_type
	not is_vendor_creation
}

# METADATA
# title: Unlisted company
# description: The company declares itself unlisted (company.listed is false); a missing flag is treated as listed.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 3(1)"}
#   severity: low
unlisted if company.listed == false

# METADATA
# title: Audit committee approval record
# description: The audit_committee_approval object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#   severity: low
ac_approval := input.audit_committee_approval if {
	is_object(input.audit_committee_approval)
} else := {}

# METADATA
# title: Audit committee approval on record
# description: An audit committee approval is cited (approved is true and resolution_ref is non-blank).
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
ac_recorded if {
	ac_approval.approved == true
	non_blank(ac_approval.resolution_ref)
}

# METADATA
# title: Audit committee approval by independent directors
# description: The cited approval was given only by the audit committee members who are independent directors.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2) proviso"}
#   severity: high
ac_independent if ac_approval.independent_directors_only == true

# METADATA
# title: Related-party transaction needs prior audit committee approval
# description: >-
#   Every related-party transaction of a listed company, and every subsequent
#   material modification, needs the prior approval of the audit committee.
#   Without it the transaction is escalated to the audit committee.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (Listing Obligations and Disclosure Requirements) Regulations 2015, Regulation 23(2)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
rpt_audit_committee_approval_missing contains reason if {
	related_party_transaction
	not unlisted
	not ac_recorded
	reason := finding(
		"rpt_audit_committee_approval_missing",
		"SEBI LODR 2015 Reg. 23(2)",
		sprintf("transaction with related party %v has no prior audit committee approval; escalate to the audit committee", [json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Related-party approval only by independent directors
# description: >-
#   Only the audit committee members who are independent directors may
#   approve related-party transactions. An approval not recorded as given by
#   independent directors only does not satisfy Reg. 23(2); the transaction
#   goes back to the audit committee. Introduced in 1.1.0.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (LODR) (Sixth Amendment) Regulations 2021, proviso to Regulation 23(2)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2) proviso"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
rpt_approval_not_independent contains reason if {
	related_party_transaction
	not unlisted
	ac_recorded
	not ac_independent
	reason := finding(
		"rpt_approval_not_independent",
		"SEBI LODR 2015 Reg. 23(2) proviso",
		sprintf("audit committee approval %v for the transaction with related party %v is not recorded as given by independent directors only; escalate to the audit committee", [ac_approval.resolution_ref, json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Arm's length, ordinary course related-party transaction
# description: The related-party transaction is declared both at arm's length and in the ordinary course of business (the section 188(1) exemption from board consent).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#   severity: medium
rpt_arms_length_ordinary_course if {
	counterparty.arms_length == true
	counterparty.ordinary_course == true
}

# METADATA
# title: Related-party transaction outside the ordinary course needs board consent
# description: >-
#   A related-party transaction not declared both at arm's length and in the
#   ordinary course of business needs the consent of the Board by a
#   resolution at a meeting; without one it is escalated to the Board.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 188(1)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#     - {regulation: "Companies (Meetings of Board and its Powers) Rules 2014", clause: "Rule 15"}
#   severity: high
rpt_board_approval_missing contains reason if {
	related_party_transaction
	not rpt_arms_length_ordinary_course
	not board_approved
	reason := finding(
		"rpt_board_approval_missing",
		"Companies Act 2013 s.188(1)",
		sprintf("transaction with related party %v is not declared at arm's length and in the ordinary course of business and cites no board resolution; escalate to the Board", [json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Related-party transaction to be registered and disclosed
# description: >-
#   Every related-party transaction that goes ahead is entered in the register
#   of contracts with related parties and included in the half-yearly
#   related-party disclosure to the stock exchanges; flagged for audit.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.189(1)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(9)"}
#   severity: low
rpt_disclosure_required contains reason if {
	related_party_transaction
	reason := finding(
		"rpt_disclosure_required",
		"Companies Act 2013 s.189(1)",
		sprintf("transaction with related party %v (%v): enter in the register of contracts (Form MBP-4) and include in the half-yearly disclosure under SEBI LODR Reg. 23(9)", [json.marshal(object.get(counterparty, "name", null)), object.get(counterparty, "relationship", "relationship not stated")]),
	)
}
