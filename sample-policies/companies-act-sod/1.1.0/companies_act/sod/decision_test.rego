package companies_act.sod_test

# Policy rules are referenced by full path (data.companies_act.sod.*), not through
# an import alias: regorus 0.14.1 can return stale values for alias references
# under `with input as`.

# A clean vendor payment of INR 2,75,000 with two independent approvals.
base := {
	"transaction_id": "PAY/2025-26/004512",
	"transaction_type": "payment",
	"transaction_date": "2025-07-14",
	"amount": 275000,
	"currency": "INR",
	"company": {"name": "Deccan Polymers Ltd", "cin": "L24100MH1994PLC081234", "listed": true},
	"initiator": {"employee_id": "E1042", "name": "Priya Nair", "department": "Accounts Payable", "roles": ["ap_executive"]},
	"approvals": [
		{"approver_id": "E2210", "name": "Rakesh Menon", "department": "Procurement", "roles": ["department_head"], "decision": "approved", "approved_at": "2025-07-14T10:22:00+05:30"},
		{"approver_id": "E3005", "name": "Anita Desai", "department": "Treasury", "roles": ["finance_approver"], "decision": "approved", "approved_at": "2025-07-14T15:40:00+05:30"},
	],
	"counterparty": {"name": "Shree Ganesh Packaging Pvt Ltd", "pan": "AABCS1429B", "related_party": false},
	"audit_trail": {
		"voucher_number": "BPV/0712/2025",
		"posting_date": "2025-07-14",
		"ledger_account": "21010 Trade Payables - Domestic",
		"narration": "Payment against invoice SGP/2025/1187 dated 02-07-2025 for corrugated boxes",
		"created_by": "E1042",
		"created_at": "2025-07-14T09:58:00+05:30",
		"edit_log_enabled": true,
	},
}

approver_a := base.approvals[0]

approver_b := base.approvals[1]

self_approval := {"approver_id": "E1042", "name": "Priya Nair", "department": "Accounts Payable", "roles": ["ap_executive"], "decision": "approved", "approved_at": "2025-07-14T10:05:00+05:30"}

same_dept_approver := {"approver_id": "E1077", "name": "Suresh Kulkarni", "department": "Accounts Payable", "roles": ["ap_manager"], "decision": "approved", "approved_at": "2025-07-14T11:00:00+05:30"}

rpt := object.union(base, {
	"amount": 1800000,
	"counterparty": {"name": "Deccan Polymer Logistics Pvt Ltd", "pan": "AADCD5521F", "related_party": true, "relationship": "subsidiary", "arms_length": true, "ordinary_course": true},
	"audit_committee_approval": {"approved": true, "resolution_ref": "AC/2025-26/07", "approved_on": "2025-06-28", "independent_directors_only": true},
})

vendor := object.union(base, {
	"transaction_id": "VEN/2025-26/000318",
	"transaction_type": "vendor_creation",
	"amount": 0,
	"counterparty": {"name": "Kaveri Agro Chemicals Pvt Ltd", "pan": "AAFCK8812M", "related_party": false},
})

rules_of(d) := {r.rule | some r in d.reasons}

# object.union merges nested objects; replace a field outright instead.
set_field(o, k, v) := object.union(object.remove(o, [k]), {k: v})

test_clean_payment_approves if {
	d := data.companies_act.sod.decision with input as base
	d.outcome == "APPROVE"
	d.reasons == []
}

test_thresholds_1_1_0 if {
	data.companies_act.sod.dual_approval_threshold == 100000
	data.companies_act.sod.finance_approver_threshold == 1000000
	data.companies_act.sod.min_independent_approvals == 2
	data.companies_act.sod.board_approval_threshold == 50000000
}

test_below_threshold_single_approval_approves if {
	i := object.union(base, {"amount": 48000, "approvals": [approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_at_threshold_no_approvals_approves if {
	i := object.union(base, {"amount": 100000, "approvals": []})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_between_50000_and_100000_single_approval_approves if {
	i := object.union(base, {"amount": 75000, "approvals": [approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_above_100000_single_approval_escalates if {
	i := object.union(base, {"amount": 150000, "approvals": [approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient"}
}

test_no_approvals_escalates if {
	d := data.companies_act.sod.decision with input as object.remove(base, ["approvals"])
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient"}
}

test_duplicate_approver_counts_once if {
	dup := object.union(approver_b, {"approver_id": " e3005 "})
	i := object.union(base, {"approvals": [approver_b, dup]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	"dual_approval_insufficient" in rules_of(d)
}

test_pending_approval_not_counted if {
	pending := object.union(approver_a, {"decision": "pending"})
	i := object.union(base, {"approvals": [pending, approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
}

test_self_approval_blocks_even_with_two_others if {
	i := object.union(base, {"approvals": [approver_a, approver_b, self_approval]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"initiator_is_approver"}
}

test_self_approval_blocks_below_threshold if {
	i := object.union(base, {"amount": 12000, "approvals": [self_approval]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	"initiator_is_approver" in rules_of(d)
}

test_self_approval_case_insensitive if {
	i := object.union(base, {"approvals": [approver_a, object.union(self_approval, {"approver_id": "e1042"})]})
	"initiator_is_approver" in rules_of(data.companies_act.sod.decision) with input as i
}

test_self_approval_rejected_is_not_self_approval if {
	i := object.union(base, {"approvals": [approver_a, approver_b, object.union(self_approval, {"decision": "pending"})]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_rejection_blocks if {
	rej := object.union(approver_a, {"decision": "rejected"})
	i := object.union(base, {"approvals": [rej, approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	"approval_rejected" in rules_of(d)
}

test_missing_initiator_blocks if {
	d := data.companies_act.sod.decision with input as object.remove(base, ["initiator"])
	d.outcome == "BLOCK"
	"initiator_unidentified" in rules_of(d)
}

test_unknown_type_blocks if {
	d := data.companies_act.sod.decision with input as object.union(base, {"transaction_type": "cash_advance"})
	d.outcome == "BLOCK"
	rules_of(d) == {"transaction_type_unknown"}
}

test_invalid_amount_blocks if {
	d := data.companies_act.sod.decision with input as object.union(base, {"amount": "275000"})
	d.outcome == "BLOCK"
	rules_of(d) == {"amount_invalid"}
}

test_zero_payment_blocks if {
	d := data.companies_act.sod.decision with input as object.union(base, {"amount": 0})
	"amount_invalid" in rules_of(d)
}

test_same_department_approver_not_independent if {
	i := object.union(base, {"approvals": [same_dept_approver, approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient"}
	contains(d.reasons[0].message, "1 more from the initiator's department")
}

test_approver_without_department_not_independent if {
	i := object.union(base, {"approvals": [object.remove(approver_a, ["department"]), approver_b]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
}

test_initiator_without_department_escalates if {
	i := set_field(base, "initiator", object.remove(base.initiator, ["department"]))
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient"}
}

test_no_finance_approver_above_10_lakh_escalates if {
	plant := {"approver_id": "E4120", "name": "Vikram Joshi", "department": "Plant Operations", "roles": ["plant_head"], "decision": "approved", "approved_at": "2025-07-15T12:10:00+05:30"}
	i := object.union(base, {"amount": 1840000, "approvals": [approver_a, plant]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"finance_approver_missing"}
}

test_finance_approver_above_10_lakh_approves if {
	d := data.companies_act.sod.decision with input as object.union(base, {"amount": 1840000})
	d.outcome == "APPROVE"
}

test_finance_approver_in_initiator_department_does_not_count if {
	fin := object.union(same_dept_approver, {"roles": ["finance_approver"]})
	i := object.union(base, {"amount": 1840000, "approvals": [approver_a, fin]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient", "finance_approver_missing"}
}

test_finance_role_not_needed_at_10_lakh if {
	i := object.union(base, {"amount": 1000000, "approvals": [approver_a, object.union(approver_b, {"roles": ["treasury_manager"]})]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_same_department_below_threshold_not_flagged if {
	i := object.union(base, {"amount": 40000, "approvals": [same_dept_approver]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_vendor_creation_with_two_approvals_approves if {
	d := data.companies_act.sod.decision with input as vendor
	d.outcome == "APPROVE"
}

test_vendor_creation_without_amount_approves if {
	d := data.companies_act.sod.decision with input as object.remove(vendor, ["amount"])
	d.outcome == "APPROVE"
}

test_vendor_creation_single_approval_escalates if {
	d := data.companies_act.sod.decision with input as object.union(vendor, {"approvals": [approver_b]})
	d.outcome == "ESCALATE"
	rules_of(d) == {"dual_approval_insufficient"}
}

test_vendor_invalid_pan_blocks if {
	i := object.union(vendor, {"counterparty": {"name": "Kaveri Agro Chemicals Pvt Ltd", "pan": "AAFC8812M", "related_party": false}})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"vendor_pan_invalid"}
}

test_vendor_missing_pan_blocks if {
	i := set_field(vendor, "counterparty", {"name": "Kaveri Agro Chemicals Pvt Ltd"})
	"vendor_pan_invalid" in rules_of(data.companies_act.sod.decision) with input as i
}

test_rpt_with_ac_approval_audits if {
	d := data.companies_act.sod.decision with input as rpt
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d) == {"rpt_disclosure_required"}
}

test_rpt_without_ac_approval_escalates if {
	d := data.companies_act.sod.decision with input as object.remove(rpt, ["audit_committee_approval"])
	d.outcome == "ESCALATE"
	"rpt_audit_committee_approval_missing" in rules_of(d)
}

test_rpt_ac_approval_not_independent_escalates if {
	i := set_field(rpt, "audit_committee_approval", object.union(rpt.audit_committee_approval, {"independent_directors_only": false}))
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"rpt_approval_not_independent", "rpt_disclosure_required"}
}

test_rpt_ac_approval_without_independence_flag_escalates if {
	i := set_field(rpt, "audit_committee_approval", object.remove(rpt.audit_committee_approval, ["independent_directors_only"]))
	"rpt_approval_not_independent" in rules_of(data.companies_act.sod.decision) with input as i
}

test_rpt_unlisted_company_needs_no_ac if {
	i := object.union(object.remove(rpt, ["audit_committee_approval"]), {"company": {"name": "Deccan Polymers Pvt Ltd", "listed": false}})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE_WITH_AUDIT"
}

test_rpt_not_arms_length_without_board_escalates if {
	i := object.union(rpt, {"counterparty": object.union(rpt.counterparty, {"arms_length": false})})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"rpt_board_approval_missing", "rpt_disclosure_required"}
}

test_rpt_not_arms_length_with_board_audits if {
	i := object.union(rpt, {
		"counterparty": object.union(rpt.counterparty, {"ordinary_course": false}),
		"board_approval": {"approved": true, "resolution_ref": "BM/2025-26/03", "approved_on": "2025-05-20"},
	})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE_WITH_AUDIT"
}

test_vendor_creation_is_not_rpt if {
	i := object.union(vendor, {"counterparty": {"name": "Deccan Polymer Logistics Pvt Ltd", "pan": "AADCD5521F", "related_party": true}})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_above_board_threshold_without_resolution_escalates if {
	d := data.companies_act.sod.decision with input as object.union(base, {"amount": 62500000})
	d.outcome == "ESCALATE"
	rules_of(d) == {"board_approval_missing"}
}

test_above_board_threshold_with_resolution_approves if {
	i := object.union(base, {"amount": 62500000, "board_approval": {"approved": true, "resolution_ref": "BM/2025-26/04", "approved_on": "2025-06-30"}})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_audit_trail_missing_field_blocks if {
	i := set_field(base, "audit_trail", object.remove(base.audit_trail, ["narration"]))
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"audit_trail_incomplete"}
}

test_audit_trail_absent_blocks if {
	d := data.companies_act.sod.decision with input as object.remove(base, ["audit_trail"])
	d.outcome == "BLOCK"
	rules_of(d) == {"audit_trail_incomplete", "audit_trail_disabled"}
	count(d.reasons) == 7
}

test_edit_log_disabled_blocks if {
	i := object.union(base, {"audit_trail": object.union(base.audit_trail, {"edit_log_enabled": false})})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"audit_trail_disabled"}
}

test_backdated_journal_entry_audits if {
	i := object.union(base, {
		"transaction_type": "journal_entry",
		"amount": 340000,
		"audit_trail": object.union(base.audit_trail, {"voucher_number": "JV/0631/2025", "posting_date": "2025-06-30", "created_at": "2025-07-03T18:12:00+05:30"}),
	})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d) == {"journal_entry_backdated"}
}

test_same_day_journal_entry_approves if {
	i := object.union(base, {"transaction_type": "journal_entry"})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "APPROVE"
}

test_block_outranks_escalate_and_audit if {
	i := object.union(object.remove(rpt, ["audit_committee_approval"]), {"approvals": [self_approval]})
	d := data.companies_act.sod.decision with input as i
	d.outcome == "BLOCK"
	d.reasons[0].rule == "initiator_is_approver"
	rules_of(d) == {"initiator_is_approver", "dual_approval_insufficient", "finance_approver_missing", "rpt_audit_committee_approval_missing", "rpt_disclosure_required"}
}

test_payment_without_company_or_counterparty_approves if {
	d := data.companies_act.sod.decision with input as object.remove(base, ["company", "counterparty"])
	d.outcome == "APPROVE"
	not data.companies_act.sod.unlisted with input as object.remove(base, ["company", "counterparty"])
}
