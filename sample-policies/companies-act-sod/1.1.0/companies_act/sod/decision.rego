# METADATA
# title: Companies Act 2013 / SEBI LODR segregation of duties for financial transactions
# description: >-
#   Pre-release controls on payments, journal entries and vendor creation in a
#   listed Indian company, implementing the internal financial controls the
#   directors attest to under section 134(5)(e) of the Companies Act 2013:
#   dual approval by independent signatories above a threshold, no
#   self-approval by the initiator, prior audit committee approval of
#   related-party transactions (SEBI LODR Reg. 23), Board approval of
#   material transactions, and complete books-of-account and audit-trail
#   data (section 128, Companies (Accounts) Rules 2014 Rule 3(1)).
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013 (Ministry of Corporate Affairs)
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (Listing Obligations and Disclosure Requirements) Regulations 2015
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 24"}
#   severity: high
package companies_act.sod

# METADATA
# title: Blocking findings
# description: Findings that stop the transaction until the record is corrected.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: critical
block := union({
	transaction_type_unknown,
	amount_invalid,
	initiator_unidentified,
	initiator_is_approver,
	approval_rejected,
	vendor_pan_invalid,
	audit_trail_incomplete,
	audit_trail_disabled,
})

# METADATA
# title: Escalation findings
# description: >-
#   Findings that route the transaction for further approval: to the finance
#   approver (dual approval), the audit committee (related parties) or the
#   Board (material and non-arm's-length transactions).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#   severity: high
escalate := union({
	dual_approval_insufficient,
	finance_approver_missing,
	rpt_audit_committee_approval_missing,
	rpt_approval_not_independent,
	rpt_board_approval_missing,
	board_approval_missing,
})

# METADATA
# title: Audit findings
# description: Findings that let the transaction proceed but flag it for internal audit or disclosure.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.143(3)(i)"}
#     - {regulation: "Companies Act 2013", clause: "s.189(1)"}
#   severity: low
audit := union({
	journal_entry_backdated,
	rpt_disclosure_required,
})

# METADATA
# title: Outcome
# description: BLOCK over ESCALATE over APPROVE_WITH_AUDIT over APPROVE.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Reasons
# description: All findings, blocking first, then escalations, then audit flags; each group in sorted order.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
reasons := array.concat(
	array.concat(sort([r | some r in block]), sort([r | some r in escalate])),
	sort([r | some r in audit]),
)

# METADATA
# title: Financial transaction decision
# description: The Gavel decision for one payment, journal entry or vendor creation.
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#   severity: critical
decision := {"outcome": outcome, "reasons": reasons}
