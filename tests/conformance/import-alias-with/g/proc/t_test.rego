package g.proc_test
import data.g.proc
# regorus 0.14.1: alias ref under `with input` returns [1] (wrong); full path returns [] (right). OPA: both [].
test_alias if { x := proc.unknown with input as {"m": "a"}; x == set() }
test_full if { x := data.g.proc.unknown with input as {"m": "a"}; x == set() }
