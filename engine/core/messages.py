"""The message catalogue: every user-facing sentence in Chinese and English, looked up by a stable key."""
from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

# Each entry: key -> (Chinese, English), with str.format fields. Keys are stable: JSON errors and tests use them.
# One dict per area keeps the catalogue readable; add a key to the area that shows it.

# Settlement trace: each step a sentence as the notice says it.
TRACE: dict[str, tuple[str, str]] = {
    "trace.not_computed": ("未计算：{reason}", "not computed: {reason}"),
    # payment steps: one sentence per step, assembled from these parts in this order
    "trace.step.base.in_scope": ("{name}：政策范围内尚未支付 {base} 元", "{name}: {base} still owed within the policy scope"),
    "trace.step.base.out_of_scope": ("{name}：目录外尚未支付 {base} 元", "{name}: {base} still owed outside the policy scope"),
    "trace.step.base.self_pay": ("{name}：个人尚需负担 {base} 元", "{name}: the person still owes {base}"),
    "trace.step.share_limit": ("，至多按总费用 {total} 元的 {share} 计入 {counted} 元", ", counted at most {share} of the bill {total}: {counted}"),
    "trace.step.deductible.encounter": ("，扣除起付线 {deductible} 元后 {above} 元", ", {above} above the deductible {deductible}"),
    "trace.step.deductible.year": ("，本年累计 {before} → {after} 元，超过起付线 {deductible} 元的部分 {above} 元",
                                   ", year so far {before} -> {after}, {above} above the deductible {deductible}"),
    "trace.step.deductible.none": ("，计入 {above} 元", ", {above} counted"),
    "trace.step.ceiling": ("，个人负担不超过总费用的 {share}（{limit} 元），超出部分 {above} 元",
                           ", the person pays at most {share} of the bill ({limit}): {above} above it"),
    "trace.step.rate": ("，按 {rate} 支付", " at {rate}"),
    "trace.step.bands": ("，分段累进（本年 {lo} → {hi} 元）：{bands}", ", marginal bands (year {lo} -> {hi}): {bands}"),
    "trace.step.band": ("{start} 元以上 {rate}", "{rate} from {start}"),
    "trace.step.cap": ("，年度限额剩余 {left} 元", ", {left} left of the annual cap"),
    "trace.step.no_cap": ("，不封顶", ", no cap"),
    "trace.step.cap_missing": ("，年度限额缺失，未适用", ", annual cap missing: not applied"),
    "trace.step.paid": ("，支付 {paid} 元", ": pays {paid}"),
    # a payment step's arithmetic in words (params, docs pages, diff)
    "step.describe": ("{order}. {name}（{id}）：{parts}", "{order}. {name} ({id}): {parts}"),
    "step.base.in_scope": ("对政策范围内尚未支付的费用", "on the policy-scope cost still owed"),
    "step.base.out_of_scope": ("对目录外尚未支付的费用", "on the out-of-catalogue cost still owed"),
    "step.base.self_pay": ("对个人尚需负担的全部费用", "on everything the person still owes"),
    "step.share_limit": ("至多按总费用的 {p} 计入", "counted at most {p} x the bill"),
    "step.accumulation.encounter": ("按次计算", "per encounter"),
    "step.accumulation.year": ("按年度累计", "accumulated over the year"),
    "step.deductible.encounter": ("每次扣除起付线 {p}", "deductible {p} per encounter"),
    "step.deductible.year": ("每年起付线 {p}", "yearly deductible {p}"),
    "step.rate.flat": ("按比例 {p} 支付", "paid at rate {p}"),
    "step.rate.marginal": ("按分段比例 {p} 累进支付", "paid in marginal bands {p}"),
    "step.ceiling": ("个人负担不超过总费用的 {p}，其余由本项支付", "the person pays at most {p} of the bill, the step the rest"),
    "step.annual_cap": ("年度限额 {p}", "annual cap {p}"),
    "step.waiting_period": ("等待期内不支付", "not paid inside a waiting period"),
    "step.who": ("适用于 {p}", "for {p}"),
    "step.where": ("仅限{p}", "only {p}"),
    "step.added": ("新增支付步骤 {name}（{id}，第 {order} 位）：{parts}", "new payment step {name} ({id}, order {order}): {parts}"),
    "step.removed": ("取消支付步骤 {name}（{id}）", "payment step {name} ({id}) removed"),
    "step.changed": ("支付步骤 {name}（{id}）改为：{parts}", "payment step {name} ({id}) now: {parts}"),
    "trace.param.set": ("{label} {value}{where}", "{label} {value}{where}"),
    "trace.param.scale": ("{who}按 {factor} 倍调整为 {value}", "{who}: x {factor} = {value}"),
    "trace.param.add": ("{who}增加 {amount} 为 {value}", "{who}: + {amount} = {value}"),
    "trace.param.remove_cap": ("{who}取消封顶", "{who}: no cap"),
    "trace.param.reference": ("{detail}", "{detail}"),
}

# Errors: bad input, bad usage, invalid policies.
ERRORS: dict[str, tuple[str, str]] = {
    "error.input": ("输入有误：{detail}", "bad input: {detail}"),
    # HTTP service (yibao serve): the `code` of a JSON error is the key without "serve.".
    "serve.bad_case": ("病例有误：{detail}（共 {count} 处问题，见 problems）", "bad case: {detail} ({count} problem(s), see problems)"),
    "serve.bad_json": ("请求体不是有效的 JSON：第 {line} 行第 {col} 列：{detail}", "the body is not valid JSON: line {line}, column {col}: {detail}"),
    "serve.not_utf8": ("请求体不是 UTF-8 编码（第 {offset} 字节）", "the body is not UTF-8 (byte {offset})"),
    "serve.too_large": ("请求体超过上限 {limit} 字节", "the body is over the limit of {limit} bytes"),
    "serve.too_deep": ("请求体嵌套超过 {limit} 层", "the body is nested more than {limit} levels deep"),
    "serve.too_many_encounters": ("一个病例最多 {limit} 次就诊，本病例有 {count} 次", "a case holds at most {limit} encounters; this one has {count}"),
    "serve.number_too_long": ("数值超过 {limit} 位整数", "a number has more than {limit} integer digits"),
    "serve.missing_value": ("缺少数值：{detail}", "missing value: {detail}"),
    "serve.strict_missing": ("严格模式：缺少 {count} 个数值，第一个是 {parameter}：{reason}", "strict: {count} missing value(s), first {parameter}: {reason}"),
    "serve.bad_query": ("查询参数有误：{detail}", "bad query parameter: {detail}"),
    "serve.unknown_version": ("未提供政策版本“{version}”；可用：{served}", "policy version '{version}' is not served; served: {served}"),
    "serve.version_conflict": ("路径中的版本“{path}”与请求头 Yibao-Policy-Version “{header}”不一致", "the version in the path '{path}' and the Yibao-Policy-Version header '{header}' differ"),
    "serve.unknown_document": ("政策版本 {version} 中没有文件“{document}”", "policy version {version} has no document '{document}'"),
    "serve.not_found": ("没有这个地址：{path}（见 /v1/docs）", "no such address: {path} (see /v1/docs)"),
    "serve.method_not_allowed": ("{path} 不接受 {method} 请求", "{path} does not accept {method}"),
    "serve.gaps_unavailable": ("本版本尚未提供缺口清单（yibao gaps 尚未合入）；结算结果的 missing 列出每个未计算的数值",
                               "gaps are not available in this release (yibao gaps has not landed); a settlement's missing list names each value not computed"),
    "serve.internal": ("服务内部错误，已记录（编号 {request_id}）", "internal error, logged as {request_id}"),

    # Trust for downstream systems (#10): outputs, input limits, bundles, releases.
    "error.output_is_input": ("输出文件 {path} 就是输入文件 {input}：请换一个输出文件名（输入文件不会被覆盖）",
                              "output {path} is the input {input}: choose another output file (the input is never overwritten)"),
    "error.output_is_folder": ("输出 {path} 是一个文件夹，请给出文件名", "output {path} is a folder: give a file name"),
    "error.output_folder_missing": ("输出文件 {path} 所在的文件夹 {folder} 不存在", "the folder {folder} of output {path} does not exist"),
    "error.output_unwritable": ("无法写入 {path}：{reason}（原有文件保持不变）", "cannot write {path}: {reason} (an existing file is left as it was)"),
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
    "error.bundle_field": ("{path}：字段 {field} 的值 {value} 无效：{reason}", "{path}: field {field} = {value} is invalid: {reason}"),
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
    "serve.listening": ("yibao serve：http://{host}:{port}/v1 提供 {count} 个政策版本（{versions}），默认 {default}；文档 http://{host}:{port}/v1/docs",
                        "yibao serve: http://{host}:{port}/v1 serves {count} policy version(s) ({versions}), default {default}; docs at http://{host}:{port}/v1/docs"),
}

CATALOGUE: dict[str, tuple[str, str]] = {**TRACE, **ERRORS, **CLI}


def msg(key: str, lang: str = "zh", **fields: Any) -> str:
    """The sentence for `key` in `lang` (zh or en), its fields filled in; an unknown key is a programming error."""
    zh, en = CATALOGUE[key]
    return (en if lang == "en" else zh).format(**fields)
