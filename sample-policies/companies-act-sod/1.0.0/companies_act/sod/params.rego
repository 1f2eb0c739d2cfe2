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
dual_approval_threshold := 50000

# METADATA
# title: Independent approvals required above the threshold
# description: Number of distinct independent signatories whose approval is needed above the dual-approval threshold.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
min_independent_approvals := 2

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
