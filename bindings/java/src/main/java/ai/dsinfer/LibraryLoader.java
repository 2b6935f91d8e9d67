package ai.dsinfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds and loads the two native libraries, once per class loader:
 * <ol>
 *   <li>libdsinfer: the path in system property {@code dsinfer.library} (or
 *       {@code DSINFER_LIBRARY}) or environment variable {@code DSINFER_LIBRARY}; else
 *       {@code libdsinfer.so} from java.library.path if it is there; else whatever the dynamic
 *       linker finds for the glue's dependency (RUNPATH, LD_LIBRARY_PATH, system paths).</li>
 *   <li>the JNI glue: {@code libdsinfer_jni.so} from java.library.path, else the copy packed in
 *       the jar under {@code ai/dsinfer/native/<os>-<arch>/}, extracted to a temporary file.</li>
 * </ol>
 * Loading libdsinfer first by path makes the glue's dependency resolve to that very file
 * (the dynamic linker matches its soname). Any failure, and an ABI version other than
 * {@link #ABI_VERSION}, comes back as a DsinferException (LIBRARY_UNAVAILABLE) that every
 * entry point rethrows, rather than as an Error from a class initializer.
 */
final class LibraryLoader {
  /** DSI_ABI_VERSION this binding is written for. */
  static final int ABI_VERSION = 1;

  private LibraryLoader() {}

  /** Null when both libraries are loaded and speak ABI_VERSION, else what went wrong. */
  static DsinferException load() {
    try {
      loadCore();
      loadGlue();
      int abi = Native.abiVersion();
      if (abi != ABI_VERSION) {
        return new DsinferException(Status.LIBRARY_UNAVAILABLE,
            "libdsinfer has ABI version " + abi + ", this binding needs " + ABI_VERSION);
      }
      return null;
    } catch (DsinferException e) {
      return e;
    } catch (RuntimeException | UnsatisfiedLinkError | IOException e) {
      return new DsinferException(Status.LIBRARY_UNAVAILABLE, "cannot load the dsinfer native libraries: " + e.getMessage(), e);
    }
  }

  private static String configuredPath() {
    String p = System.getProperty("dsinfer.library");
    if (p == null || p.isEmpty()) p = System.getProperty("DSINFER_LIBRARY");
    if (p == null || p.isEmpty()) p = System.getenv("DSINFER_LIBRARY");
    return p == null || p.isEmpty() ? null : p;
  }

  private static void loadCore() {
    String path = configuredPath();
    if (path != null) {
      try {
        System.load(Path.of(path).toAbsolutePath().toString());
      } catch (UnsatisfiedLinkError e) {
        throw new DsinferException(Status.LIBRARY_UNAVAILABLE, "cannot load DSINFER_LIBRARY=" + path + ": " + e.getMessage(), e);
      }
      return;
    }
    try {
      System.loadLibrary("dsinfer");
    } catch (UnsatisfiedLinkError ignored) {
      // Not on java.library.path: the glue's own dependency lookup gets its turn.
    }
  }

  private static void loadGlue() throws IOException {
    try {
      System.loadLibrary("dsinfer_jni");
      return;
    } catch (UnsatisfiedLinkError fromPath) {
      String resource = resourceName();
      try (InputStream in = LibraryLoader.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new DsinferException(Status.LIBRARY_UNAVAILABLE, "the JNI glue is neither on java.library.path ("
              + fromPath.getMessage() + ") nor in the jar at " + resource, fromPath);
        }
        Path dir = Files.createTempDirectory("dsinfer-jni");
        Path file = dir.resolve(System.mapLibraryName("dsinfer_jni"));
        try {
          Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
          System.load(file.toString());
        } finally {
          // A loaded library stays mapped after its file is gone; nothing is left in /tmp.
          Files.deleteIfExists(file);
          Files.deleteIfExists(dir);
        }
      }
    }
  }

  /** Where the build packs the glue: os.name and os.arch as the JVM spells them. */
  static String resourceName() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return "/ai/dsinfer/native/" + os + "-" + arch + "/" + System.mapLibraryName("dsinfer_jni");
  }
}
