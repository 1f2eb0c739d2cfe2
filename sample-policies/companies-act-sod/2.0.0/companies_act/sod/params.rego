package companies_act.sod

# METADATA
# title: Dual-approval threshold (INR)
# description: >-
#   Payments and journal entries above this amount need approval by at least
#   two independent signatories (neither of them the initiator) before they
#   are released or posted. Vendor creation needs dual approval whatever the
#   amount. Set by the Board's internal financial controls framework at
#   Rs 50,000 in version 1.0.0.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 134(5)(e) (internal financial controls)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 17(8) read with Schedule II Part B"}
#   severity: high
dual_approval_threshold := 100000

# METADATA
# title: Independent approvals required above the threshold
# description: Number of distinct independent signatories whose approval is needed above the dual-approval threshold.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
min_independent_approvals := 2

# METADATA
# title: Finance-approver threshold (INR)
# description: >-
#   Above Rs 10 lakh at least one of the independent signatories must hold
#   the finance_approver role (a Treasury or Finance Controller signatory on
#   the Board-approved authorised signatory list). Introduced in 1.1.0.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 17(8) read with Schedule II Part B"}
#   severity: high
finance_approver_threshold := 1000000

# METADATA
# title: Finance-approver role name
# description: The role an approver must hold to count as the finance signatory above the finance-approver threshold.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
finance_approver_role := "finance_approver"

# METADATA
# title: Board approval threshold (INR)
# description: >-
#   Transactions above Rs 5 crore are material for the company and are not
#   within any executive's delegated authority: they need a resolution of the
#   Board. Modelled on the significance test of SEBI LODR Reg. 24(4) and the
#   powers the Board exercises only at its meetings under section 179(3).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.179(3)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 24(4)"}
#   severity: high
board_approval_threshold := 50000000

# METADATA
# title: Material related-party transaction ceiling (INR)
# description: >-
#   A related-party transaction is material when, alone or with the earlier
#   transactions with the same party in the financial year, it exceeds
#   Rs 1,000 crore or 10% of the annual consolidated turnover, whichever is
#   lower. This is the Rs 1,000 crore limb. Introduced in 2.0.0.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI LODR 2015, Regulation 23(1) as amended by the Sixth Amendment Regulations 2021
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(1)"}
#   severity: high
material_rpt_absolute_limit := 10000000000

# METADATA
# title: Material related-party transaction share of turnover (percent)
# description: The turnover limb of the materiality test, as a percentage of the last audited annual consolidated turnover.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(1)"}
#   severity: high
material_rpt_turnover_percent := 10

# METADATA
# title: Omnibus approval per-transaction cap for unforeseen transactions (INR)
# description: >-
#   Where the need for a related-party transaction cannot be foreseen, an
#   omnibus approval may cover it only up to Rs 1 crore per transaction.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c) proviso"}
#   severity: high
omnibus_unforeseen_cap := 10000000
