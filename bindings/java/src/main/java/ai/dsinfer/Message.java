package ai.dsinfer;

import java.util.Objects;

/** One chat turn for a chat template: a role ("system", "user", "assistant", ...) and its text. */
public record Message(String role, String content) {
  public Message {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
