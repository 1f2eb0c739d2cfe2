//! conftest's builtins through the real binary: a test module reads YAML,
//! TOML, HCL2, INI and dotenv files beside it (paths relative to the
//! module's directory, as conftest reads them) and inline text.

mod common;

use common::Env;

const APP_YAML: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      volumes:
        - name: config
          configMap:
            defaultMode: 0644
---
on: push
jobs:
  build:
    runs-on: ubuntu-latest
";

const SETTINGS_TOML: &str = "\
title = \"settings\"
[server]
port = 8443
tls = true
started = 2024-05-01T10:00:00Z
";

const MAIN_TF: &str = "\
variable \"prefix\" {
  default = \"acme\"
}

resource \"aws_s3_bucket\" \"logs\" {
  bucket = \"${var.prefix}-logs\"
  acl    = \"private\"
  tags = {
    owner = \"platform\"
  }
}
";

const APP_INI: &str = "\
[database]
host = db.internal ; the primary
port = 5432
ssl = true
";

const APP_ENV: &str = "\
HOST=example.org
URL=https://${HOST}/api
# a comment
export DEBUG=false
";

const TEST_REGO: &str = r#"package conftest_formats

import rego.v1

test_yaml_documents if {
	docs := parse_config_file("../configs/app.yaml")
	count(docs) == 2
	docs[0].kind == "Deployment"
	# YAML 1.1, as conftest reads it: 0644 is octal, `on` is true.
	docs[0].spec.template.spec.volumes[0].configMap.defaultMode == 420
	docs[1]["true"] == "push"
}

test_toml if {
	cfg := parse_config_file("../configs/settings.toml")
	cfg.server.port == 8443
	cfg.server.tls == true
	cfg.server.started == "2024-05-01T10:00:00Z"
}

test_hcl2 if {
	tf := parse_config_file("../configs/main.tf")
	bucket := tf.resource.aws_s3_bucket.logs[0]
	bucket.acl == "private"
	bucket.bucket == "${var.prefix}-logs"
	bucket.tags.owner == "platform"
	tf.variable.prefix[0]["default"] == "acme"
}

test_ini if {
	cfg := parse_config_file("../configs/app.ini")
	cfg.database == {"host": "db.internal", "port": 5432, "ssl": true}
}

test_dotenv if {
	env := parse_config_file("../configs/app.env")
	env == {"HOST": "example.org", "URL": "https://example.org/api", "DEBUG": "false"}
}

test_combined if {
	files := parse_combined_config_files(["../configs/settings.toml", "../configs/app.yaml"])
	[f.contents.kind | some f in files; endswith(f.path, "app.yaml")] == ["Deployment"]
	count(files) == 3
	endswith(files[2].path, "configs/settings.toml")
}

test_inline if {
	parse_config("ini", "[a]\nb = t\n") == {"a": {"b": true}}
	parse_config("yaml", "x: [1, two]") == {"x": [1, "two"]}
	parse_config("hcl2", "n = 1 + 2") == {"n": "${1 + 2}"}
}
"#;

fn bundle(env: &Env, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let mut files = vec![
        // A bundle: only data.json / data.yaml are data, so the config
        // files stay files.
        (".manifest", "{}"),
        ("configs/app.yaml", APP_YAML),
        ("configs/settings.toml", SETTINGS_TOML),
        ("configs/main.tf", MAIN_TF),
        ("configs/app.ini", APP_INI),
        ("configs/app.env", APP_ENV),
    ];
    files.extend_from_slice(extra);
    env.bundle("conftest", &files)
}

#[test]
fn conftest_builtins_read_config_files_beside_the_module() {
    let env = Env::new();
    let dir = bundle(&env, &[("policy/formats_test.rego", TEST_REGO)]);
    // From another directory: the paths are the module's, not the cwd's.
    let (code, out, err) = env.run(&["test", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS: 7/7"), "{out}");
    // And as a relative bundle path, from the bundle's parent.
    let out = env
        .gavel(&["test", "conftest"])
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("PASS: 7/7"), "{text}");
}

#[test]
fn conftest_builtin_errors_name_the_builtin_and_the_file() {
    let env = Env::new();
    let dir = bundle(
        &env,
        &[(
            "policy/errors_test.rego",
            "package e\n\nimport rego.v1\n\ntest_missing if {\n\tparse_config_file(\"nope.yaml\")\n}\n\ntest_parser if {\n\tparse_config(\"yml\", \"a: 1\")\n}\n",
        )],
    );
    let (code, out, err) = env.run(&["test", "--strict-builtin-errors", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("parse_config_file: read config file ")
            && out.contains("policy/nope.yaml: no such file or directory"),
        "{out}"
    );
    assert!(
        out.contains("parse_config: create config parser: unknown parser: yml"),
        "{out}"
    );
}
