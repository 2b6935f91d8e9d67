// ChatTemplate: parse once, render many times with different conversations and limits.
#include "dsinfer/chat_template.hpp"

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_eval.hpp"
#include "template/jinja_json.hpp"
#include "template/jinja_parser.hpp"

namespace dsinfer {

struct ChatTemplate::Impl {
  jinja::Program program;
};

namespace {

nlohmann::ordered_json parse_object(const std::string& text, const char* what) {
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::invalid_argument, std::string("chat template ") + what + " is not valid JSON: " + e.what());
  }
  if (!json.is_object()) throw Error(ErrorCode::invalid_argument, std::string("chat template ") + what + " must be a JSON object");
  return json;
}

std::string render_with(const jinja::Program& program, const jinja::Value& context, const ChatTemplateLimits& limits) {
  try {
    return jinja::render_program(program, context, limits);
  } catch (const jinja::TemplateRaised& e) {
    // Callers get the template's own message, as raise_exception's TemplateError carries it.
    throw Error(ErrorCode::invalid_argument, e.what());
  }
}

}  // namespace

ChatTemplate::ChatTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

ChatTemplate ChatTemplate::parse(const std::string& source, const ChatTemplateLimits& limits) {
  auto impl = std::make_unique<Impl>();
  impl->program = jinja::parse_program(source, limits.max_depth);
  return ChatTemplate(std::move(impl));
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                 const std::string& bos_token, const std::string& eos_token,
                                 const std::string& extra_json_object, const ChatTemplateLimits& limits) const {
  // Built as JSON so the context takes the same path, and the same bounds, as render_json's.
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) {
    nlohmann::ordered_json message = nlohmann::ordered_json::object();
    message["role"] = m.role;
    message["content"] = m.content;
    list.push_back(std::move(message));
  }
  context["messages"] = std::move(list);
  context["tools"] = nullptr;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = add_generation_prompt;
  context["bos_token"] = bos_token;
  context["eos_token"] = eos_token;
  const nlohmann::ordered_json extra = parse_object(extra_json_object, "extra variables");
  for (const auto& [key, value] : extra.items()) context[key] = value;
  return render_with(impl_->program, jinja::from_json(context, limits.max_depth), limits);
}

std::string ChatTemplate::render_json(const std::string& context_json_object, const ChatTemplateLimits& limits) const {
  const nlohmann::ordered_json context = parse_object(context_json_object, "context");
  return render_with(impl_->program, jinja::from_json(context, limits.max_depth), limits);
}

}  // namespace dsinfer
