"""The message catalogue: every user-facing sentence in Chinese and English, looked up by a stable key."""
from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

# Each entry: key -> (Chinese, English), with str.format fields. Keys are stable: JSON errors and tests use them.
# One dict per area keeps the catalogue readable; add a key to the area that shows it.

# Settlement trace: each step a sentence as the notice says it.
TRACE: dict[str, tuple[str, str]] = {
    "trace.not_computed": ("未计算：{reason}", "not computed: {reason}"),
}

# Errors: bad input, bad usage, invalid policies.
ERRORS: dict[str, tuple[str, str]] = {
    "error.input": ("输入有误：{detail}", "bad input: {detail}"),
    # Trust for downstream systems (#10): outputs, input limits, bundles, releases.
    "error.output_is_input": ("输出文件 {path} 就是输入文件 {input}：请换一个输出文件名（输入文件不会被覆盖）",
                              "output {path} is the input {input}: choose another output file (the input is never overwritten)"),
    "error.output_is_folder": ("输出 {path} 是一个文件夹，请给出文件名", "output {path} is a folder: give a file name"),
    "error.output_folder_missing": ("输出文件 {path} 所在的文件夹 {folder} 不存在", "the folder {folder} of output {path} does not exist"),
    "error.output_unwritable": ("无法写入 {path}：{reason}（原有文件保持不变）", "cannot write {path}: {reason} (an existing file is left as it was)"),
    "error.site_folder_not_a_site": ("{path} 不是空文件夹，也不是已生成的网站（没有 index.html），不会被替换",
                                     "{path} is neither empty nor a built site (no index.html): it is not replaced"),
    "error.empty_input": ("{path}：没有任何就诊记录，未写入 {output}（原有文件保持不变）",
                          "{path}: no encounters, {output} not written (an existing file is left as it was)"),
    "error.too_deep": ("嵌套超过 {limit} 层的上限", "nested more than {limit} levels deep (the limit)"),
    "error.number_too_long": ("数字 {value} 有 {length} 个字符，超过上限 {limit}", "number {value} is {length} characters long, over the limit of {limit}"),
    "error.number_too_large": ("数值 {value} 超出范围：绝对值须小于 10^15", "value {value} is out of range: its size must be below 10^15"),
    "error.number_too_fine": ("数值 {value} 的小数超过 {limit} 位", "value {value} has more than {limit} decimal places"),
    "error.not_a_file": ("{path} 不是普通文件（是文件夹或特殊文件）", "{path} is not a regular file (a folder or a special file)"),
    "error.unreadable": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),
    "error.broken_link": ("{path} 是失效的符号链接（指向 {target}）", "{path} is a broken symbolic link (to {target})"),
    "error.empty_policy_folder": ("政策文件夹 {path} 中没有任何 .yaml 文件", "policy folder {path} holds no .yaml file"),
    "error.bundle_unreadable": ("{path}：无法读取打包文件：{reason}", "{path}: cannot read bundle: {reason}"),
    "error.bundle_json": ("{path}：第 {line} 行第 {col} 列不是有效的 JSON：{reason}", "{path}: not valid JSON at line {line} column {col}: {reason}"),
    "error.bundle_format": ("{path}：不是 yibao-rules 打包文件（format 应为 {expected}）", "{path}: not a yibao-rules bundle (format should be {expected})"),
    "error.bundle_unknown_key": ("{path}：未知字段 {field}（值 {value}）", "{path}: unknown key {field} (value {value})"),
    "error.bundle_string": ("{path}：字段 {field} 应为非空字符串，实为 {value}", "{path}: field {field} should be a non-empty string, not {value}"),
    "error.bundle_documents": ("{path}：字段 {field} 应为非空的政策文件列表，实为 {value}",
                               "{path}: field {field} should be a non-empty list of policy documents, not {value}"),
    "error.bundle_object": ("{path}：{field} 应为 JSON 对象（一份政策文件），实为 {value}",
                            "{path}: {field} should be a JSON object (a policy document), not {value}"),
    "error.bundle_id": ("{path}：{field} 应为字符串 id，实为 {value}", "{path}: {field} should be a string id, not {value}"),
    "error.bundle_duplicate_id": ("{path}：文件 id '{id}' 在打包文件中出现两次（第 {first} 和第 {second} 个）",
                                  "{path}: document id '{id}' appears twice in the bundle (documents {first} and {second})"),
    "error.bundle_fingerprint": ("{path}：指纹不符：文件写的是 {stated}，但其版本和文件计算得出 {actual}",
                                 "{path}: fingerprint mismatch: the file says {stated} but its version and documents hash to {actual}"),
    "error.bundle_invalid": ("{path}：打包文件中的政策文件无效", "{path}: the bundle's documents are invalid"),
    "error.case_field": ("字段 {field} 的值 {value} 超出范围：{reason}", "field {field} = {value} is out of range: {reason}"),
    "error.needs_checkout": ("{what} 需要本仓库的 git 检出（已安装的包中没有 git 历史）：{root}",
                             "{what} needs a git checkout of this repository (an installed package has no git history): {root}"),
    "error.unknown_release": ("'{ref}' 既不是已发布版本（{known}），也不是 {repo} 的 git 版本：{reason}",
                              "'{ref}' is neither a released version ({known}) nor a git revision of {repo}: {reason}"),
    "error.releases_file": ("{path}:{line}: 无法识别的发布记录 '{text}'（格式：版本号 提交号）",
                            "{path}:{line}: unrecognised release record '{text}' (format: VERSION COMMIT)"),
}

# Command-line output, reports and review.
CLI: dict[str, tuple[str, str]] = {
    "unknown.not_computed": ("未计算：缺少{what}", "not computed: {what} missing"),
    "unknown.undetermined": ("不确定", "undetermined"),
}

CATALOGUE: dict[str, tuple[str, str]] = {**TRACE, **ERRORS, **CLI}


def msg(key: str, lang: str = "zh", **fields: Any) -> str:
    """The sentence for `key` in `lang` (zh or en), its fields filled in; an unknown key is a programming error."""
    zh, en = CATALOGUE[key]
    return (en if lang == "en" else zh).format(**fields)
