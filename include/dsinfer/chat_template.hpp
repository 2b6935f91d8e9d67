// Chat templates: the Jinja2 programs that Hugging Face tokenizer_config.json files carry under
// "chat_template" to turn a conversation into the prompt text a model was trained on.
//
// This is a small interpreter for the subset of Jinja2 those templates use, evaluated the way
// transformers does (sandboxed, trim_blocks and lstrip_blocks on, tojson without HTML escaping,
// raise_exception and strftime_now as globals). A template is untrusted input: it can only read the
// variables it is given, and every render is bounded in steps, output size and nesting depth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsinfer {

struct ChatMessage {
  std::string role;
  std::string content;
};

// Bounds on one parse or render. Exceeding any of them throws Error(too_large).
struct ChatTemplateLimits {
  size_t max_output_bytes = 1 << 20;  // the rendered text, and any one string built on the way
  uint64_t max_steps = 1000000;       // expression nodes, statements, loop iterations, list items
  int max_depth = 64;                 // nested expressions, blocks and macro calls; nested values
  // Not a bound but part of the render's environment: the instant strftime_now() formats, in
  // seconds since the Unix epoch (formatted as UTC). -1 means the local clock at render time, as
  // transformers does; a fixed value makes a render reproducible.
  int64_t now_unix_seconds = -1;
};

class ChatTemplate {
 public:
  // Parses once; throws Error(invalid_format) with "line L:C" on a syntax error, an unknown filter
  // or test, or a tag dsinfer does not implement (include, extends, ...), and Error(too_large)
  // for nesting deeper than limits.max_depth.
  static ChatTemplate parse(const std::string& source, const ChatTemplateLimits& limits = {});

  // Renders with `messages` (a list of {role, content} dicts), add_generation_prompt, bos_token,
  // eos_token, tools = none and documents = none (as transformers passes them), then every key of
  // `extra_json_object` (e.g. tools, enable_thinking, date_string), which may override those.
  // A template's raise_exception(msg) throws Error(invalid_argument) whose what() is msg. Other
  // failures name the template position: invalid_argument where Jinja2 raises (an undefined
  // variable's attribute, 'a' + 1, bad JSON input), unsupported for what dsinfer leaves out
  // (integers past 64 bits, '%' string formatting, str.format), too_large for the limits.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                     const std::string& bos_token, const std::string& eos_token,
                     const std::string& extra_json_object = "{}",
                     const ChatTemplateLimits& limits = {}) const;

  // Same, with the whole context given as one JSON object (messages may then carry extra fields
  // such as reasoning_content or tool_calls). Nothing is added to it.
  std::string render_json(const std::string& context_json_object,
                          const ChatTemplateLimits& limits = {}) const;

  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

 private:
  struct Impl;
  explicit ChatTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsinfer
