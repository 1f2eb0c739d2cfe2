package companies_act.sod

# METADATA
# title: Books-of-account fields must be present
# description: >-
#   The voucher must carry every field the books of account need to explain
#   the transaction (voucher number, posting date, ledger account, narration,
#   creator and creation time); a transaction with a field missing is blocked.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 128(1) (books of account)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "Companies (Accounts) Rules 2014", clause: "Rule 3(1) proviso"}
#   severity: high
audit_trail_incomplete contains reason if {
	some field in data.companies_act.config.audit_trail_fields
	not non_blank(object.get(audit_trail, field, null))
	reason := finding(
		"audit_trail_incomplete",
		"Companies Act 2013 s.128(1)",
		sprintf("audit_trail.%v is missing; the books of account must explain the transaction", [field]),
	)
}

# METADATA
# title: Audit trail (edit log) must be enabled
# description: >-
#   The accounting software must record an audit trail of each transaction
#   with an edit log of every change, which cannot be disabled; a transaction
#   recorded with the edit log off is blocked.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/rules.html
#     description: Companies (Accounts) Rules 2014, Rule 3(1) proviso (audit trail), in force from 1 April 2023
# custom:
#   citations:
#     - {regulation: "Companies (Accounts) Rules 2014", clause: "Rule 3(1) proviso"}
#     - {regulation: "Companies (Audit and Auditors) Rules 2014", clause: "Rule 11(g)"}
#   severity: critical
audit_trail_disabled contains reason if {
	not audit_trail.edit_log_enabled == true
	reason := finding(
		"audit_trail_disabled",
		"Companies (Accounts) Rules 2014 Rule 3(1) proviso",
		"audit_trail.edit_log_enabled is not true; the transaction would be recorded without an edit log",
	)
}

# METADATA
# title: Back-dated journal entry
# description: >-
#   A journal entry posted to a date earlier than the day it was created is
#   back-dated (typically a prior-period adjustment); it may proceed but is
#   flagged for audit review of journal entries.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "Companies Act 2013", clause: "s.143(3)(i)"}
#   severity: medium
journal_entry_backdated contains reason if {
	input.transaction_type == "journal_entry"
	iso_date(audit_trail.posting_date)
	iso_date(audit_trail.created_at)
	posted := substring(audit_trail.posting_date, 0, 10)
	created := substring(audit_trail.created_at, 0, 10)
	posted < created
	reason := finding(
		"journal_entry_backdated",
		"Companies Act 2013 s.128(1)",
		sprintf("journal entry created on %v is posted to %v; flagged for audit review of back-dated entries", [created, posted]),
	)
}

# METADATA
# title: Transaction date must be given
# description: >-
#   Every transaction must carry its date (YYYY-MM-DD); it dates the entry in
#   the books and decides which related-party approvals cover it. Required
#   from 2.0.0; a request without it is blocked.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#   severity: high
transaction_date_invalid contains reason if {
	not valid_transaction_date
	reason := finding(
		"transaction_date_invalid",
		"Companies Act 2013 s.128(1)",
		sprintf("transaction_date %v is not a YYYY-MM-DD date", [json.marshal(object.get(input, "transaction_date", null))]),
	)
}
