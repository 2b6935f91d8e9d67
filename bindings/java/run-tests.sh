#!/usr/bin/env bash
# The Java binding's tests against the built library (ctest: bindings_java).
#   run-tests.sh CLI LIBDSINFER CHECKPOINTS WORK_DIR JAVA JAVA_BUILD_DIR JUNIT_CONSOLE_JAR
# The ids the Java tests must reproduce come from the C++ CLI, run here first. The JVM runs
# with -Xcheck:jni, and any JNI misuse it reports fails the run.
set -euo pipefail
cli=$1 lib=$2 ckpt=$3 work=$4 java=$5 jbin=$6 junit=$7

rm -rf "$work"
mkdir -p "$work"
"$cli" run -p "Hello" -n 12 --seed 42 --ids-out "$work/builtin_ids.json" >"$work/cli_builtin.log" 2>&1
"$cli" run --model "$ckpt/qwen2/model.gguf" -p "Hello" -n 8 --seed 7 --ids-out "$work/qwen2_ids.json" >"$work/cli_qwen2.log" 2>&1

fail_on_jni_warnings() {
  if grep -E "WARNING in native method|FATAL ERROR in native method|JNI local refs|A fatal error has been detected" "$1"; then
    echo "-Xcheck:jni reported misuse in $1" >&2
    exit 1
  fi
}

# The example with the jar alone: the glue comes out of the jar, libdsinfer from DSINFER_LIBRARY.
DSINFER_LIBRARY="$lib" "$java" -Xcheck:jni -cp "$jbin/dsinfer.jar:$jbin/example-classes" Generate >"$work/example.log" 2>&1 ||
  { cat "$work/example.log"; exit 1; }
grep -q "tokens, stopped:" "$work/example.log" || { cat "$work/example.log"; exit 1; }
fail_on_jni_warnings "$work/example.log"

# The tests: libdsinfer by path, the glue from java.library.path.
status=0
"$java" -Xcheck:jni -Xss8m \
  -Ddsinfer.library="$lib" -Djava.library.path="$jbin/lib" \
  -Ddsinfer.test.ckpt="$ckpt" -Ddsinfer.test.work="$work" -Ddsinfer.test.java="$java" \
  -Ddsinfer.test.classes="$jbin/classes" -Ddsinfer.test.testClasses="$jbin/test-classes" \
  -cp "$junit:$jbin/dsinfer.jar:$jbin/test-classes" org.junit.platform.console.ConsoleLauncher \
  --disable-banner --details=tree --fail-if-no-tests --select-package=ai.dsinfer >"$work/junit.log" 2>&1 || status=$?
cat "$work/junit.log"
fail_on_jni_warnings "$work/junit.log"
exit "$status"
