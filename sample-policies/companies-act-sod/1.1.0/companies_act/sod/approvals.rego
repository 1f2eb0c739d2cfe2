package companies_act.sod

# METADATA
# title: Transaction type must be one the control covers
# description: The request must be a payment, a journal entry or a vendor creation; anything else cannot be routed through the approval matrix.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 134(5)(e) (internal financial controls)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
transaction_type_unknown contains reason if {
	not known_type
	reason := finding(
		"transaction_type_unknown",
		"Companies Act 2013 s.134(5)(e)",
		sprintf("transaction_type %v is not one of payment, journal_entry, vendor_creation; it cannot be routed through the approval matrix", [json.marshal(object.get(input, "transaction_type", null))]),
	)
}

# METADATA
# title: Amount must be a positive INR figure
# description: Payments and journal entries need a positive amount in INR; a vendor creation may carry zero or no amount.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: critical
amount_invalid contains reason if {
	known_type
	not valid_amount
	reason := finding(
		"amount_invalid",
		"Companies Act 2013 s.128(1)",
		sprintf("amount %v is not a positive INR figure; the transaction cannot be recorded in the books of account or matched to an approval limit", [json.marshal(object.get(input, "amount", null))]),
	)
}

# METADATA
# title: Initiator must be identified
# description: The employee who initiated the transaction must be identified; without it segregation of duties cannot be verified and the audit trail has no author.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies (Accounts) Rules 2014", clause: "Rule 3(1) proviso"}
#   severity: critical
initiator_unidentified contains reason if {
	not initiator_id
	reason := finding(
		"initiator_unidentified",
		"Companies Act 2013 s.134(5)(e)",
		"initiator.employee_id is missing; segregation of duties cannot be verified",
	)
}

# METADATA
# title: Initiator cannot approve their own transaction
# description: >-
#   No person may both initiate and approve the same transaction, whatever
#   the amount: an approval by the initiator is a breach of segregation of
#   duties and the transaction is blocked.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 134(5)(e) and its Explanation (prevention and detection of frauds and errors)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies Act 2013", clause: "s.143(3)(i)"}
#   severity: critical
initiator_is_approver contains reason if {
	some a in granted
	norm(a.approver_id) == initiator_id
	reason := finding(
		"initiator_is_approver",
		"Companies Act 2013 s.134(5)(e)",
		sprintf("initiator %v has also approved the transaction; the initiator can never approve their own transaction", [initiator_id]),
	)
}

# METADATA
# title: A rejection stops the transaction
# description: If any signatory has rejected the transaction it may not proceed on the strength of the other approvals.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
approval_rejected contains reason if {
	some a in approvals
	is_object(a)
	a.decision == "rejected"
	reason := finding(
		"approval_rejected",
		"Companies Act 2013 s.134(5)(e)",
		sprintf("signatory %v rejected the transaction", [json.marshal(object.get(a, "approver_id", null))]),
	)
}

# METADATA
# title: Dual approval by independent signatories
# description: >-
#   Above the dual-approval threshold (and for every vendor creation) at least
#   two distinct independent signatories must have approved: not the
#   initiator and, since 1.1.0, not from the initiator's department.
#   Fewer: the transaction is escalated to the finance approver.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 134(5)(e) (internal financial controls)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 17(8) read with Schedule II Part B"}
#   severity: high
dual_approval_insufficient contains reason if {
	dual_approval_required
	n := count(independent_approvers)
	n < min_independent_approvals
	reason := finding(
		"dual_approval_insufficient",
		"Companies Act 2013 s.134(5)(e)",
		sprintf("%v of INR %v has %v independent approval(s) (%v more from the initiator's department do not count); %v required above INR %v (vendor creation: always); escalate to finance_approver", [object.get(input, "transaction_type", "transaction"), amount, n, count(same_department_approvers), min_independent_approvals, dual_approval_threshold]),
	)
}

# METADATA
# title: Finance approver above Rs 10 lakh
# description: >-
#   Above the finance-approver threshold one of the independent signatories
#   must hold the finance_approver role; otherwise the transaction is
#   escalated to the finance approver. Introduced in 1.1.0.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 134(5)(e) (internal financial controls)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 17(8) read with Schedule II Part B"}
#   severity: high
finance_approver_missing contains reason if {
	amount > finance_approver_threshold
	not independent_finance_approver
	reason := finding(
		"finance_approver_missing",
		"Companies Act 2013 s.134(5)(e)",
		sprintf("transaction of INR %v exceeds INR %v and no independent approver holds the %v role; escalate to finance_approver", [amount, finance_approver_threshold, finance_approver_role]),
	)
}

# METADATA
# title: Vendor PAN must be valid
# description: >-
#   A vendor may be created only with a Permanent Account Number in the valid
#   format: without it tax is deducted at the higher rate and the vendor
#   master loses its main safeguard against fictitious vendors.
# custom:
#   citations:
#     - {regulation: "Income-tax Act 1961", clause: "s.206AA(1)"}
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
vendor_pan_invalid contains reason if {
	is_vendor_creation
	not valid_pan(object.get(counterparty, "pan", null))
	reason := finding(
		"vendor_pan_invalid",
		"Income-tax Act 1961 s.206AA(1)",
		sprintf("vendor %v has no valid PAN (%v); the vendor cannot be created", [json.marshal(object.get(counterparty, "name", null)), json.marshal(object.get(counterparty, "pan", null))]),
	)
}

# METADATA
# title: Board approval above the board threshold
# description: >-
#   A transaction above the board approval threshold is outside delegated
#   authority and needs a resolution of the Board; without one it is
#   escalated to the Board.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (Listing Obligations and Disclosure Requirements) Regulations 2015, Regulation 24
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.179(3)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 24(4)"}
#   severity: high
board_approval_missing contains reason if {
	amount > board_approval_threshold
	not board_approved
	reason := finding(
		"board_approval_missing",
		"Companies Act 2013 s.179(3)",
		sprintf("transaction of INR %v exceeds the board approval threshold of INR %v and cites no board resolution; escalate to the Board", [amount, board_approval_threshold]),
	)
}
