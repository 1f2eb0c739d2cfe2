package gfr.procurement_test

# Policy rules are referenced by full path (data.gfr.procurement.*), not through an
# import alias: regorus 0.14.1 can return stale values for alias references under
# `with input as`.

# A clean limited-tender award above the threshold.
base := {
	"request_id": "DHFW/PROC/2025-26/0417",
	"department": "Department of Health and Family Welfare",
	"subject": "Supply of 12 multipara patient monitors for district hospitals",
	"contract_value": 400000,
	"procurement_method": "limited_tender",
	"quotations": [
		{"vendor_name": "Medisys Devices Pvt Ltd", "vendor_pan": "AAACM4521K", "amount": 400000, "responsive": true},
		{"vendor_name": "Lifeline Biomedical LLP", "vendor_pan": "AAFFL7733Q", "amount": 412500, "responsive": true},
		{"vendor_name": "Sanjeevani Healthtech", "vendor_pan": "ABCPS1234D", "amount": 419900, "responsive": true},
	],
	"contract_type_rationale": "Firm fixed-price supply contract: specifications are standard and the quantity is fixed, so price risk stays with the supplier.",
	"evaluators": [
		{"employee_id": "DHFW-1021", "name": "R. Iyer", "coi_declaration_signed": true, "conflict_declared": false, "recused": false},
		{"employee_id": "DHFW-1187", "name": "S. Bano", "coi_declaration_signed": true, "conflict_declared": false, "recused": false},
	],
	"budget": {"verified": true, "head_of_account": "2210.01.110.13", "available_balance": 1500000},
	"emergency": {"declared": false},
	"related_orders_value_90d": 0,
}

# A clean single-tender award for a proprietary item.
st_base := object.union(base, {
	"contract_value": 500000,
	"procurement_method": "single_tender",
	"quotations": [],
	"evaluators": [],
	"single_tender": {
		"ground": "proprietary",
		"justification": "Only the OEM supplies calibration kits for the installed analysers.",
		"approved_by_role": "contracting_officer",
		"proprietary_article_certificate": true,
		"cvc_report_filed": false,
	},
})

rules_of(d) := {r.rule | some r in d.reasons}

two_quotes := array.slice(base.quotations, 0, 2)

test_clean_award_approves if {
	d := data.gfr.procurement.decision with input as base
	d.outcome == "APPROVE"
	d.reasons == []
}

test_threshold_is_300000 if {
	data.gfr.procurement.competitive_bidding_threshold == 300000
	data.gfr.procurement.rationale_min_length == 100
}

test_below_threshold_purchase_committee_approves if {
	i := object.union(base, {"contract_value": 200000, "procurement_method": "purchase_committee", "quotations": [], "evaluators": [], "contract_type_rationale": null})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_missing_value_blocks if {
	i := object.remove(base, ["contract_value"])
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"contract_value_invalid"}
}

test_string_value_blocks if {
	d := data.gfr.procurement.decision with input as object.union(base, {"contract_value": "400000"})
	"contract_value_invalid" in rules_of(d)
}

test_unknown_method_blocks if {
	d := data.gfr.procurement.decision with input as object.union(base, {"procurement_method": "direct_purchase"})
	d.outcome == "BLOCK"
	"procurement_method_unknown" in rules_of(d)
}

test_purchase_committee_above_limit_blocks if {
	d := data.gfr.procurement.decision with input as object.union(base, {"procurement_method": "purchase_committee"})
	d.outcome == "BLOCK"
	"purchase_committee_above_limit" in rules_of(d)
}

test_purchase_committee_at_limit_approves if {
	i := object.union(base, {"contract_value": 300000, "procurement_method": "purchase_committee"})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

# Changed in 1.1.0: 280000 is now at or below the threshold.
test_two_quotations_at_280000_approve if {
	i := object.union(base, {"contract_value": 280000, "quotations": two_quotes})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_two_quotations_at_320000_block if {
	i := object.union(base, {"contract_value": 320000, "quotations": two_quotes})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"insufficient_quotations"}
}

test_duplicate_pan_counts_once if {
	dup := array.concat(two_quotes, [{"vendor_name": "Medisys Devices (Delhi branch)", "vendor_pan": "aaacm4521k", "amount": 405000}])
	d := data.gfr.procurement.decision with input as object.union(base, {"quotations": dup})
	"insufficient_quotations" in rules_of(d)
}

test_nonresponsive_and_bad_pan_not_counted if {
	q := array.concat(two_quotes, [
		{"vendor_name": "Late Bidder", "vendor_pan": "AAGCL9090B", "amount": 390000, "responsive": false},
		{"vendor_name": "No PAN Traders", "vendor_pan": "12345", "amount": 380000},
	])
	d := data.gfr.procurement.decision with input as object.union(base, {"quotations": q})
	d.outcome == "BLOCK"
	"insufficient_quotations" in rules_of(d)
}

test_rationale_missing_blocks if {
	d := data.gfr.procurement.decision with input as object.remove(base, ["contract_type_rationale"])
	d.outcome == "BLOCK"
	rules_of(d) == {"contract_rationale_missing"}
}

test_rationale_blank_blocks if {
	d := data.gfr.procurement.decision with input as object.union(base, {"contract_type_rationale": "   "})
	"contract_rationale_missing" in rules_of(d)
}

test_rationale_thin_escalates if {
	d := data.gfr.procurement.decision with input as object.union(base, {"contract_type_rationale": "L1 bidder; fixed price."})
	d.outcome == "ESCALATE"
	rules_of(d) == {"contract_rationale_too_thin"}
}

# Changed in 1.1.0: the minimum length is now 100 characters.
test_rationale_of_60_chars_now_escalates if {
	r := "Fixed-price contract; standard specifications, fixed qty."
	count(r) >= 50
	d := data.gfr.procurement.decision with input as object.union(base, {"contract_type_rationale": r})
	d.outcome == "ESCALATE"
	rules_of(d) == {"contract_rationale_too_thin"}
}

test_rationale_of_100_chars_approves if {
	r := "Firm fixed-price supply contract: standard specifications, fixed quantity, single delivery to stores."
	count(r) >= 100
	d := data.gfr.procurement.decision with input as object.union(base, {"contract_type_rationale": r})
	d.outcome == "APPROVE"
}

test_no_rationale_needed_at_threshold if {
	i := object.union(base, {"contract_value": 300000, "contract_type_rationale": null, "quotations": two_quotes})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_split_procurement_escalates if {
	i := object.union(base, {"contract_value": 280000, "related_orders_value_90d": 45000})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"split_procurement_suspected"}
}

# Changed in 1.1.0: 240000 + 45000 no longer crosses the threshold.
test_small_related_orders_no_split if {
	i := object.union(base, {"contract_value": 240000, "related_orders_value_90d": 45000})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_evaluation_committee_missing_escalates if {
	d := data.gfr.procurement.decision with input as object.union(base, {"evaluators": []})
	d.outcome == "ESCALATE"
	rules_of(d) == {"evaluation_committee_missing"}
}

test_unsigned_coi_declaration_blocks if {
	ev := array.concat(base.evaluators, [{"employee_id": "DHFW-1302", "name": "K. Das", "coi_declaration_signed": false}])
	d := data.gfr.procurement.decision with input as object.union(base, {"evaluators": ev})
	d.outcome == "BLOCK"
	rules_of(d) == {"coi_declaration_missing"}
	contains(d.reasons[0].message, "DHFW-1302")
}

test_conflicted_evaluator_not_recused_blocks if {
	ev := array.concat(base.evaluators, [{"employee_id": "DHFW-1302", "coi_declaration_signed": true, "conflict_declared": true, "recused": false}])
	d := data.gfr.procurement.decision with input as object.union(base, {"evaluators": ev})
	d.outcome == "BLOCK"
	rules_of(d) == {"conflicted_evaluator_not_recused"}
}

test_conflicted_evaluator_recused_approves if {
	ev := array.concat(base.evaluators, [{"employee_id": "DHFW-1302", "coi_declaration_signed": true, "conflict_declared": true, "recused": true}])
	d := data.gfr.procurement.decision with input as object.union(base, {"evaluators": ev})
	d.outcome == "APPROVE"
}

test_budget_not_verified_blocks if {
	d := data.gfr.procurement.decision with input as object.remove(base, ["budget"])
	d.outcome == "BLOCK"
	rules_of(d) == {"budget_not_verified"}
}

test_budget_insufficient_blocks if {
	d := data.gfr.procurement.decision with input as object.union(base, {"budget": {"available_balance": 350000}})
	d.outcome == "BLOCK"
	rules_of(d) == {"budget_insufficient"}
}

test_budget_balance_not_reported_approves if {
	d := data.gfr.procurement.decision with input as object.union(base, {"budget": {"verified": true, "available_balance": null}})
	d.outcome == "APPROVE"
}

test_emergency_approves_with_audit if {
	i := object.union(base, {"quotations": two_quotes, "emergency": {"declared": true, "reason": "flood relief", "certificate_id": "EC/DHFW/2025/019"}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d) == {"emergency_procurement"}
}

# New in 1.1.0: the emergency path needs a recorded emergency certificate.
test_emergency_without_certificate_blocks if {
	i := object.union(base, {"quotations": two_quotes, "emergency": {"declared": true, "reason": "flood relief", "certificate_id": " "}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"emergency_certificate_missing", "insufficient_quotations"}
}

test_emergency_does_not_waive_budget if {
	i := object.union(base, {"emergency": {"declared": true, "certificate_id": "EC/DHFW/2025/020"}, "budget": {"verified": false}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"budget_not_verified", "emergency_procurement"}
	d.reasons[0].rule == "budget_not_verified"
}

test_single_tender_proprietary_approves if {
	d := data.gfr.procurement.decision with input as st_base
	d.outcome == "APPROVE"
}

test_single_tender_without_justification_blocks if {
	i := object.union(st_base, {"single_tender": {"justification": ""}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"single_tender_justification_missing"}
}

test_single_tender_bad_ground_blocks if {
	i := object.union(st_base, {"single_tender": {"ground": "vendor_preference"}})
	d := data.gfr.procurement.decision with input as i
	rules_of(d) == {"single_tender_ground_invalid"}
}

test_single_tender_missing_record_blocks if {
	d := data.gfr.procurement.decision with input as object.remove(st_base, ["single_tender"])
	rules_of(d) == {"single_tender_justification_missing", "single_tender_ground_invalid", "single_tender_approver_insufficient"}
}

test_single_tender_pac_missing_blocks if {
	i := object.union(st_base, {"single_tender": {"ground": "standardisation", "proprietary_article_certificate": false}})
	d := data.gfr.procurement.decision with input as i
	rules_of(d) == {"proprietary_certificate_missing"}
}

test_single_tender_emergency_ground_needs_emergency if {
	i := object.union(st_base, {"single_tender": {"ground": "emergency", "proprietary_article_certificate": false}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"single_tender_emergency_unsupported"}
}

test_single_tender_emergency_ground_with_emergency_audits if {
	i := object.union(st_base, {
		"single_tender": {"ground": "emergency", "proprietary_article_certificate": false},
		"emergency": {"declared": true, "reason": "oxygen plant breakdown", "certificate_id": "EC/DHFW/2025/031"},
	})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE_WITH_AUDIT"
}

test_single_tender_emergency_ground_without_certificate_blocks if {
	i := object.union(st_base, {
		"single_tender": {"ground": "emergency", "proprietary_article_certificate": false},
		"emergency": {"declared": true, "reason": "oxygen plant breakdown"},
	})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"single_tender_emergency_unsupported", "emergency_certificate_missing"}
}

test_single_tender_above_advocate_threshold_needs_advocate if {
	i := object.union(st_base, {"contract_value": 900000})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"single_tender_approver_insufficient"}
	data.gfr.procurement.required_single_tender_approver == "competition_advocate" with input as i
}

test_single_tender_advocate_approval_accepted if {
	i := object.union(st_base, {"contract_value": 900000, "single_tender": {"approved_by_role": "competition_advocate"}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_single_tender_unknown_approver_blocks if {
	i := object.union(st_base, {"single_tender": {"approved_by_role": "section_officer"}})
	d := data.gfr.procurement.decision with input as i
	rules_of(d) == {"single_tender_approver_insufficient"}
}

test_single_tender_cvc_report_missing_blocks if {
	i := object.union(st_base, {"contract_value": 3000000, "single_tender": {"approved_by_role": "competition_advocate"}, "budget": {"available_balance": 5000000}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"single_tender_cvc_report_missing"}
}

test_single_tender_cvc_report_filed_approves if {
	i := object.union(st_base, {"contract_value": 3000000, "single_tender": {"approved_by_role": "competition_advocate", "cvc_report_filed": true}, "budget": {"available_balance": 5000000}})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_blocks_listed_before_escalations if {
	i := object.union(base, {"budget": {"verified": false}, "contract_type_rationale": "Lowest bid."})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "BLOCK"
	[r.rule | some r in d.reasons] == ["budget_not_verified", "contract_rationale_too_thin"]
}

# New in 2.0.0: dual approval above INR 50 lakh.
big := object.union(base, {
	"contract_value": 6200000,
	"procurement_method": "advertised_tender",
	"budget": {"available_balance": 9000000},
	"approvals": [{"role": "dept_head", "name": "Joint Secretary (Admin)"}],
})

test_dual_approval_threshold_is_50_lakh if {
	data.gfr.procurement.dual_approval_threshold == 5000000
}

test_dual_approval_missing_blocks if {
	d := data.gfr.procurement.decision with input as big
	d.outcome == "BLOCK"
	rules_of(d) == {"dual_approval_missing"}
	endswith(d.reasons[0].message, "missing: financial_adviser")
}

test_no_approvals_at_all_blocks if {
	d := data.gfr.procurement.decision with input as object.remove(big, ["approvals"])
	endswith(d.reasons[0].message, "missing: dept_head, financial_adviser")
}

test_dual_approval_present_approves if {
	i := object.union(big, {"approvals": [{"role": "dept_head"}, {"role": "financial_adviser"}, {"role": 7}]})
	d := data.gfr.procurement.decision with input as i
	d.outcome == "APPROVE"
}

test_dual_approval_not_needed_at_threshold if {
	d := data.gfr.procurement.decision with input as object.union(big, {"contract_value": 5000000})
	d.outcome == "APPROVE"
}
