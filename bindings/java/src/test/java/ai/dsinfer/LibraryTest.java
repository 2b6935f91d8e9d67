package ai.dsinfer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Loading: the ABI check, and what a host sees when a library is missing (in child JVMs, since loading happens once). */
class LibraryTest {
  @Test
  void versionAndAbi() {
    assertEquals(1, Dsinfer.abiVersion());
    assertTrue(Dsinfer.version().matches("\\d+\\.\\d+\\.\\d+.*"), Dsinfer.version());
  }

  /** Runs LoadProbe in a fresh JVM; returns its output. */
  static String probe(String classpath, String... props) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(TestSupport.required("dsinfer.test.java"));
    cmd.add("-Xcheck:jni");
    for (String p : props) cmd.add(p);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("ai.dsinfer.LoadProbe");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("DSINFER_LIBRARY");
    pb.environment().remove("LD_LIBRARY_PATH");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertFalse(out.contains("WARNING in native method"), out);
    return out;
  }

  static String classesOnly() {
    return TestSupport.required("dsinfer.test.classes") + java.io.File.pathSeparator
        + TestSupport.required("dsinfer.test.testClasses");
  }

  @Test
  void missingLibdsinferIsADsinferException() throws Exception {
    String out = probe(classesOnly(), "-Ddsinfer.library=/nonexistent/libdsinfer.so");
    assertTrue(out.contains("DsinferException LIBRARY_UNAVAILABLE"), out);
    assertTrue(out.contains("/nonexistent/libdsinfer.so"), out);
    assertTrue(out.contains("second call: LIBRARY_UNAVAILABLE"), out);
  }

  @Test
  void missingGlueIsADsinferException() throws Exception {
    // Classes without the jar and nothing on java.library.path: no glue anywhere.
    String out = probe(classesOnly(), "-Ddsinfer.library=" + System.getProperty("dsinfer.library"),
        "-Djava.library.path=/nonexistent");
    assertTrue(out.contains("DsinferException LIBRARY_UNAVAILABLE"), out);
    assertTrue(out.contains("JNI glue"), out);
  }

  @Test
  void glueFromTheJarWithLibdsinferByPath() throws Exception {
    String jar = Path.of(TestSupport.required("dsinfer.test.classes")).resolveSibling("dsinfer.jar").toString();
    String out = probe(jar + java.io.File.pathSeparator + TestSupport.required("dsinfer.test.testClasses"),
        "-Ddsinfer.library=" + System.getProperty("dsinfer.library"), "-Djava.library.path=/nonexistent");
    assertTrue(out.contains("loaded ABI 1"), out);
  }
}
