package ai_change.audit_test


# ---------------------------------------------------------------- fixtures

low_risk_pr := {
	"repository": "acme-fin/statements-ui",
	"risk_tier": "low",
	"pr_number": 1207,
	"author": "asha.kulkarni",
	"approvers": [{"login": "ravi.menon", "kind": "human", "teams": ["statements-maintainers"]}],
	"ai_assisted": true,
	"model_id": "gpt-4o-2024-08-06",
	"timestamp": "2026-11-20T10:15:00Z",
	"context_description": "Copilot Chat generated the CSV export helper; prompt and accepted diff linked in PR body.",
	"labels": ["ai-assisted", "frontend"],
}

high_risk_pr := {
	"repository": "acme-fin/payments-core",
	"risk_tier": "high",
	"pr_number": 4821,
	"author": "asha.kulkarni",
	"approvers": [
		{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]},
		{"login": "li.wei", "kind": "human", "teams": ["security-reviewers"]},
	],
	"ai_assisted": true,
	"model_id": "claude-sonnet-4-20250514",
	"timestamp": "2026-11-20T21:05:00+05:30",
	"context_description": "Claude proposed the idempotency-key check for ledger retries; reviewed line by line.",
	"labels": ["ai-assisted", "payments"],
}

# high-risk hotfix with one (non-security) approver
hotfix_pr := object.union(high_risk_pr, {"approvers": [{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]}]})

exception_record := {
	"id": "EXC-2026-0142",
	"reason": "Sev-1 settlement outage; second reviewer unavailable at night",
	"approver": "deepa.iyer",
	"logged_at": "2026-11-20T23:40:00Z",
	"waives": ["high_risk_second_approver_missing", "high_risk_security_review_missing"],
}

# logged_at 2026-11-20T23:40:00Z in ns, then +10 h, +48 h, +48 h + 1 ns, +73 h
logged_ns := 1795218000000000000

now_10h := 1795254000000000000

now_48h := 1795390800000000000

now_48h_1ns := 1795390800000000001

now_73h := 1795480800000000000

without(obj, key) := {k: v | some k, v in obj; k != key}

rules(d) := {r.rule | some r in d.reasons}

# ---------------------------------------------------------------- outcomes

test_clean_low_risk_change_approved if {
	d := data.ai_change.audit.decision with input as low_risk_pr
	d == {"outcome": "APPROVE", "reasons": []}
}

test_clean_high_risk_change_approved if {
	d := data.ai_change.audit.decision with input as high_risk_pr
	d.outcome == "APPROVE"
}

test_non_ai_change_needs_no_audit_trail if {
	pr := {"repository": "acme-fin/payments-core", "risk_tier": "high", "author": "asha.kulkarni", "ai_assisted": false, "approvers": [], "labels": ["payments"]}
	d := data.ai_change.audit.decision with input as pr
	d == {"outcome": "APPROVE", "reasons": []}
}

# ---------------------------------------------------------------- AUD-6 disclosure

test_disclosure_flag_missing_blocks if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "ai_assisted")
	d.outcome == "BLOCK"
	rules(d) == {"ai_disclosure_missing"}
}

test_disclosure_flag_not_boolean_blocks if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"ai_assisted": "yes"})
	d.outcome == "BLOCK"
	"ai_disclosure_missing" in rules(d)
}

test_ai_label_on_undisclosed_change_escalates if {
	pr := object.union(low_risk_pr, {"ai_assisted": false, "labels": ["frontend", " Copilot "]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "ESCALATE"
	d.reasons == [{
		"rule": "ai_label_undisclosed",
		"citation": "AI Change Governance Standard AUD-6",
		"message": "label ' Copilot ' marks AI use but the PR declares ai_assisted false",
	}]
}

test_unrelated_labels_on_non_ai_change_approved if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"ai_assisted": false, "labels": ["frontend", 7]})
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- AUD-1 minimum audit trail

test_author_missing_blocks if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "author")
	d.outcome == "BLOCK"
	rules(d) == {"author_missing"}
}

test_model_id_missing_blocks if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "model_id")
	d.outcome == "BLOCK"
	rules(d) == {"model_id_missing"}
}

test_model_id_blank_blocks if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"model_id": "   "})
	rules(d) == {"model_id_missing"}
}

test_timestamp_missing_blocks if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "timestamp")
	d.outcome == "BLOCK"
	rules(d) == {"timestamp_missing"}
}

test_timestamp_not_rfc3339_blocks if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"timestamp": "20/11/2026 10:15 IST"})
	d.outcome == "BLOCK"
	d.reasons[0].message == "timestamp '20/11/2026 10:15 IST' is not an RFC 3339 date-time"
}

test_timestamp_impossible_dates_block if {
	every ts in ["2026-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20 10:15:00Z", "2026-11-20T10:15:00"] {
		"timestamp_invalid" in rules(data.ai_change.audit.decision) with input as object.union(low_risk_pr, {"timestamp": ts})
	}
}

test_timestamp_valid_forms_accepted if {
	every ts in ["2024-02-29T23:59:59Z", "2000-02-29T00:00:00.123456789+05:30", "2026-12-31T18:30:00-08:00"] {
		data.ai_change.audit.decision.outcome == "APPROVE" with input as object.union(low_risk_pr, {"timestamp": ts})
	}
}

test_context_description_blank_blocks if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"context_description": " \t "})
	d.outcome == "BLOCK"
	rules(d) == {"context_description_missing"}
}

test_all_fields_missing_lists_every_finding if {
	pr := {"repository": "acme-fin/statements-ui", "risk_tier": "low", "author": "asha.kulkarni", "ai_assisted": true}
	d := data.ai_change.audit.decision with input as pr
	rules(d) == {"model_id_missing", "timestamp_missing", "context_description_missing", "independent_approver_missing"}
}

# ---------------------------------------------------------------- AUD-2 approved models

test_unapproved_model_blocks if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"model_id": "gpt-3.5-turbo-0125"})
	d.outcome == "BLOCK"
	d.reasons == [{
		"rule": "model_not_approved",
		"citation": "AI Change Governance Standard AUD-2",
		"message": "model 'gpt-3.5-turbo-0125' is not on the approved model list",
	}]
}

test_model_id_matched_case_insensitively if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"model_id": " GPT-4o-2024-08-06 "})
	d.outcome == "APPROVE"
}

test_gpt4_turbo_approved_in_1_0_0 if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"model_id": "gpt-4-turbo-2024-04-09"})
	d.outcome == "APPROVE"
}

test_claude_sonnet_4_5_not_yet_approved_in_1_0_0 if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"model_id": "claude-sonnet-4-5-20250929"})
	rules(d) == {"model_not_approved"}
}

# ---------------------------------------------------------------- AUD-3 independent review

test_bot_only_approval_blocks if {
	pr := object.union(low_risk_pr, {"approvers": [{"login": "renovate[bot]", "kind": "bot", "teams": []}]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "BLOCK"
	rules(d) == {"independent_approver_missing"}
}

test_self_approval_only_blocks_and_is_recorded if {
	pr := object.union(low_risk_pr, {"approvers": [{"login": "Asha.Kulkarni", "kind": "human", "teams": []}]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "BLOCK"
	rules(d) == {"independent_approver_missing", "author_listed_as_approver"}
	d.reasons[0].rule == "independent_approver_missing"
}

test_self_approval_alongside_independent_approval_audited if {
	pr := object.union(low_risk_pr, {"approvers": [
		{"login": "asha.kulkarni", "kind": "human", "teams": []},
		{"login": "ravi.menon", "kind": "human", "teams": []},
	]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "APPROVE_WITH_AUDIT"
	d.reasons[0].message == "approval by the author 'asha.kulkarni' was ignored"
}

test_missing_approvers_field_blocks if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "approvers")
	rules(d) == {"independent_approver_missing"}
}

# ---------------------------------------------------------------- AUD-4 high-risk repositories

test_risk_tier_missing_escalates if {
	d := data.ai_change.audit.decision with input as without(low_risk_pr, "risk_tier")
	d.outcome == "ESCALATE"
	rules(d) == {"risk_tier_unclassified"}
}

test_risk_tier_unknown_escalates if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"risk_tier": "tier-1"})
	rules(d) == {"risk_tier_unclassified"}
}

test_high_risk_single_approver_blocks if {
	pr := object.union(high_risk_pr, {"approvers": [{"login": "li.wei", "kind": "human", "teams": ["security-reviewers"]}]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "BLOCK"
	d.reasons == [{
		"rule": "high_risk_second_approver_missing",
		"citation": "AI Change Governance Standard AUD-4",
		"message": "high-risk repository: 1 of 2 required independent human approvals",
	}]
}

test_high_risk_without_security_reviewer_escalates if {
	pr := object.union(high_risk_pr, {"approvers": [
		{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]},
		{"login": "meera.nair", "kind": "human"},
	]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "ESCALATE"
	rules(d) == {"high_risk_security_review_missing"}
}

test_critical_tier_with_codeowner_approved if {
	pr := object.union(high_risk_pr, {"risk_tier": "Critical", "approvers": [
		{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]},
		{"login": "meera.nair", "kind": "human", "teams": ["CODEOWNERS"]},
	]})
	d := data.ai_change.audit.decision with input as pr
	d.outcome == "APPROVE"
}

test_author_in_security_group_does_not_count if {
	pr := object.union(high_risk_pr, {"approvers": [
		{"login": "asha.kulkarni", "kind": "human", "teams": ["security-reviewers"]},
		{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]},
	]})
	d := data.ai_change.audit.decision with input as pr
	rules(d) == {"high_risk_second_approver_missing", "high_risk_security_review_missing", "author_listed_as_approver"}
	d.outcome == "BLOCK"
}

test_medium_tier_needs_one_approver if {
	d := data.ai_change.audit.decision with input as object.union(low_risk_pr, {"risk_tier": "medium"})
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- AUD-5 policy exceptions

test_exception_inside_window_waives_high_risk_review if {
	pr := object.union(hotfix_pr, {"exception": exception_record})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_10h
	d.outcome == "APPROVE_WITH_AUDIT"
	rules(d) == {"exception_waiver_applied", "exception_follow_up_pending"}
	d.reasons[0].message == "policy exception EXC-2026-0142 logged 10 h ago; follow-up due within 48 h"
	d.reasons[1].message == "policy exception EXC-2026-0142 waives high_risk_second_approver_missing (approved by deepa.iyer)"
}

test_exception_at_exactly_48_hours_still_pending if {
	pr := object.union(hotfix_pr, {"exception": exception_record})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_48h
	d.outcome == "APPROVE_WITH_AUDIT"
	"exception_follow_up_pending" in rules(d)
}

test_exception_past_48_hours_without_follow_up_escalates if {
	pr := object.union(hotfix_pr, {"exception": exception_record})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_48h_1ns
	d.outcome == "ESCALATE"
	d.reasons[0].message == "policy exception EXC-2026-0142 logged 48 h ago has no follow-up (due within 48 h)"
}

test_exception_overdue_message_counts_hours if {
	pr := object.union(hotfix_pr, {"exception": exception_record})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_73h
	d.outcome == "ESCALATE"
	d.reasons[0] == {
		"rule": "exception_follow_up_overdue",
		"citation": "AI Change Governance Standard AUD-5",
		"message": "policy exception EXC-2026-0142 logged 73 h ago has no follow-up (due within 48 h)",
	}
}

test_exception_logged_in_future_counts_zero_hours if {
	pr := object.union(hotfix_pr, {"exception": exception_record})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as logged_ns - 3600000000000
	d.outcome == "APPROVE_WITH_AUDIT"
	"policy exception EXC-2026-0142 logged 0 h ago; follow-up due within 48 h" in {r.message | some r in d.reasons}
}

test_exception_followed_up_in_time_closes if {
	exc := object.union(exception_record, {"follow_up": {"completed_at": "2026-11-21T18:00:00Z", "by": "li.wei", "ticket": "SEC-3310"}})
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_73h
	d.outcome == "APPROVE_WITH_AUDIT"
	rules(d) == {"exception_waiver_applied", "exception_follow_up_completed"}
}

test_exception_followed_up_late_still_closes_in_1_0_0 if {
	exc := object.union(exception_record, {"follow_up": {"completed_at": "2026-11-23T12:00:00Z", "by": "li.wei"}})
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_73h
	d.outcome == "APPROVE_WITH_AUDIT"
	"exception_follow_up_completed" in rules(d)
}

test_exception_follow_up_without_valid_time_is_open if {
	exc := object.union(exception_record, {"follow_up": {"completed_at": "yesterday"}})
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_73h
	d.outcome == "ESCALATE"
}

test_exception_record_incomplete_blocks if {
	exc := {"id": "EXC-2026-0150", "reason": "", "logged_at": "2026-11-20T23:40:00Z", "waives": ["high_risk_second_approver_missing"]}
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_10h
	d.outcome == "BLOCK"
	rules(d) == {"exception_record_incomplete", "high_risk_second_approver_missing", "high_risk_security_review_missing"}
	"policy exception is missing: reason, approver" in {r.message | some r in d.reasons}
}

test_exception_logged_at_invalid_blocks if {
	exc := object.union(exception_record, {"logged_at": "2026-11-20 23:40 IST"})
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_10h
	d.outcome == "BLOCK"
	"exception_logged_at_invalid" in rules(d)
	"high_risk_second_approver_missing" in rules(d)
}

test_exception_self_approved_blocks_and_waives_nothing if {
	exc := object.union(exception_record, {"approver": "ASHA.KULKARNI"})
	d := data.ai_change.audit.decision with input as object.union(hotfix_pr, {"exception": exc}) with time.now_ns as now_10h
	d.outcome == "BLOCK"
	rules(d) == {"exception_self_approved", "high_risk_second_approver_missing", "high_risk_security_review_missing", "exception_follow_up_pending"}
}

test_exception_cannot_waive_audit_trail_rules if {
	exc := object.union(exception_record, {"waives": ["model_not_approved"]})
	pr := object.union(low_risk_pr, {"model_id": "deepseek-coder-33b", "exception": exc})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_10h
	d.outcome == "BLOCK"
	rules(d) == {"model_not_approved", "exception_follow_up_pending"}
}

test_exception_waives_security_review_in_1_0_0 if {
	pr := object.union(high_risk_pr, {
		"approvers": [
			{"login": "ravi.menon", "kind": "human", "teams": ["payments-core-maintainers"]},
			{"login": "meera.nair", "kind": "human", "teams": ["ledger-team"]},
		],
		"exception": object.union(exception_record, {"waives": ["high_risk_security_review_missing"]}),
	})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_10h
	d.outcome == "APPROVE_WITH_AUDIT"
	rules(d) == {"exception_waiver_applied", "exception_follow_up_pending"}
}

test_exception_on_non_ai_change_is_audited if {
	pr := {"repository": "acme-fin/payments-core", "risk_tier": "high", "author": "asha.kulkarni", "ai_assisted": false, "exception": exception_record}
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_10h
	d.outcome == "APPROVE_WITH_AUDIT"
	rules(d) == {"exception_follow_up_pending"}
}

# ---------------------------------------------------------------- decision order
# Blocking findings first, then escalations, then audit notes; inside each
# group sorted by citation, then message.

test_reasons_ordered_block_then_escalate_then_audit if {
	pr := object.union(hotfix_pr, {
		"model_id": "gpt-3.5-turbo-0125",
		"approvers": [{"login": "asha.kulkarni", "kind": "human"}, {"login": "ravi.menon", "kind": "human"}],
		"exception": object.union(exception_record, {"waives": ["high_risk_second_approver_missing"]}),
	})
	d := data.ai_change.audit.decision with input as pr with time.now_ns as now_73h
	d.outcome == "BLOCK"
	[r.rule | some r in d.reasons] == [
		"model_not_approved",
		"high_risk_security_review_missing",
		"exception_follow_up_overdue",
		"author_listed_as_approver",
		"exception_waiver_applied",
	]
}
