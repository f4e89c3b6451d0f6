"""The message catalog: every text the API sends to be read, by code, in Chinese and English.

One entry a line: ``"code": ("中文模板", "English template")``; templates take named
parameters (``{id}``, ``{period}``, ``{limit:,}``) that the raise site gives in ``params``.
An error's ``code`` names its entry; a raise site whose code carries several messages names
its own entry with ``key=`` (the answer still says the code). Keep sections by area; a new
code is one line here (``tests/backend/test_i18n.py`` lists every code raised without one).
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- plumbing: generic answers -------------------------------------------------------------
    "text": ("{text}", "{text}"),  # a text shown as written (nothing to translate)
    "bad_request": ("请求有误", "Bad request"),
    "unauthorized": ("请先登录", "Authentication required"),
    "forbidden": ("你没有执行此操作的权限", "You do not have permission to do this"),
    "role_forbidden": (
        "你的角色（{role}）不能执行此操作（{permission}）",
        "Your role ({role}) may not do this ({permission})",
    ),
    "not_found": ("未找到", "Not found"),
    "conflict": ("操作冲突", "Conflict"),
    "integrity_conflict": ("此修改与现有数据冲突", "The change conflicts with existing data"),
    "validation_failed": ("校验未通过", "Validation failed"),
    "field_problem": ("{field}：{problem}", "{field}: {problem}"),
    "too_many_requests": ("请求过于频繁", "Too many requests"),
    "queue_unavailable": ("任务队列不可用，请稍后再试", "The job queue is unavailable; try again later"),
    "storage_unavailable": ("文件存储不可用，请稍后再试", "The file store is unavailable; try again later"),
    "database_unavailable": (
        "数据库暂时不可用，请稍后再试",
        "The database is unavailable; try again shortly",
    ),
    "internal_error": (
        "服务器内部错误；请把请求编号告知技术支持",
        "Internal server error; quote the request id to support",
    ),
    "request_cancelled": ("请求已取消", "The request was cancelled"),
    "route_not_found": ("没有此地址：{path}", "No route for {path}"),
    "ui_not_built": (
        "管理界面尚未构建（运行 `make frontend`）",
        "The admin UI is not built (run `make frontend`)",
    ),
    "http_bad_request": ("请求有误", "Bad request"),
    "http_unauthorized": ("请先登录", "Authentication required"),
    "http_forbidden": ("你没有执行此操作的权限", "You do not have permission to do this"),
    "http_not_found": ("没有此地址：{path}", "Requested URL {path} not found"),
    "http_method_not_allowed": (
        "此地址不接受 {method} 请求：{path}",
        "Method {method} not allowed for URL {path}",
    ),
    "http_request_timeout": ("请求超时", "Request timeout"),
    "http_payload_too_large": ("请求体过大", "Request body exceeds the size limit"),
    "http_range_not_satisfiable": ("请求的范围无法满足", "Range not satisfiable"),
    "http_error": ("请求失败（HTTP {status}）", "The request failed (HTTP {status})"),
    # request bodies, queries and headers
    "invalid_json": ("请求体不是有效的 JSON", "The request body is not valid JSON"),
    "invalid_json_reason": (
        "请求体不是有效的 JSON：{reason}",
        "The request body is not valid JSON: {reason}",
    ),
    "json_unbalanced_brackets": ("括号不成对", "unbalanced brackets"),
    "json_too_many_values": (
        "JSON 请求体的值超过 {limit:,} 个",
        "The JSON body holds more than {limit:,} values",
    ),
    "json_too_deep": ("JSON 请求体嵌套超过 {limit} 层", "The JSON body is nested deeper than {limit} levels"),
    "unknown_query_parameters": ("未知的查询参数：{names}", "unknown query parameter: {names}"),
    "unknown_query_parameter": ("未知的查询参数", "unknown query parameter"),
    "bad_content_length": ("Content-Length 请求头有误", "The Content-Length header is not valid"),
    "content_length_not_number": (
        "Content-Length 请求头不是数字",
        "The Content-Length header is not a number",
    ),
    "content_length_negative": ("Content-Length 请求头为负数", "The Content-Length header is negative"),
    "payload_too_large": ("请求体过大", "The request body is too large"),
    "body_over_route_limit": (
        "请求体超过此接口接受的 {limit:,} 字节",
        "The request body is over the {limit:,} bytes this route accepts",
    ),
    "unsupported_media_type": ("不支持的媒体类型", "Unsupported media type"),
    "media_type_refused": (
        "此接口接受 {accepted}（请求为 {sent}）",
        "This route takes {accepted} (the request was {sent})",
    ),
    "json_charset_refused": (
        "JSON 按 UTF-8 读取（请求声明 charset={charset}）",
        "JSON is read as UTF-8 (the request said charset={charset})",
    ),
    "idempotency_key_invalid": (
        "须为 1 到 {limit} 个可打印字符",
        "must be 1 to {limit} printable characters",
    ),
    "idempotency_key_reused": (
        "{header} {key} 已用于另一个请求体；新请求请使用新的键",
        "{header} '{key}' was already used with another request body; use a new key for a new request",
    ),
    "sort_refused": ("不能按 {field} 排序；可用：{allowed}", "cannot sort by '{field}'; allowed: {allowed}"),
    "must_not_be_empty": ("不能为空", "must not be empty"),
    "nothing_to_change": ("没有要修改的内容", "Nothing to change"),
    "no_fields_given": ("未提供任何字段", "no fields given"),
    "taken": ("已被占用", "taken"),
    "taken_by_deleted": ("已被已删除的记录 {id} 占用", "taken by deleted record {id}"),
    "either_of": ("{first} 或 {rest}", "{first} or {rest}"),
    "control_character_refused": (
        "不能包含控制字符（{character}）",
        "must not contain control characters ({character})",
    ),
    "bidi_control_refused": (
        "不能包含双向控制字符（{character}）",
        "must not contain bidirectional control characters ({character})",
    ),
    "secrets_unreadable": (
        "已保存的密钥无法解密（OPCMS_SECRET_KEY 已变更）：请在 secrets 中重新提供",
        "the stored secrets cannot be decrypted (OPCMS_SECRET_KEY changed): send them again in 'secrets'",
    ),
    "busy_retry": (
        "对同一批数据的并发修改反复冲突；未做任何修改，请重试",
        "concurrent changes to the same rows kept colliding with this one; nothing was changed, try again",
    ),
    # --- field rules (pydantic's error types, with its ctx as parameters) ------------------------
    "missing": ("必填", "Field required"),
    "extra_forbidden": ("不接受此字段", "Extra inputs are not permitted"),
    "string_type": ("须为文本", "Input should be a valid string"),
    "string_too_short": ("至少 {min_length} 个字符", "String should have at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字符", "String should have at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不符：{pattern}", "String should match pattern '{pattern}'"),
    "int_type": ("须为整数", "Input should be a valid integer"),
    "int_parsing": ("须为整数", "Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": ("须为整数", "Input should be a valid integer, got a number with a fractional part"),
    "float_type": ("须为数字", "Input should be a valid number"),
    "float_parsing": ("须为数字", "Input should be a valid number, unable to parse string as a number"),
    "finite_number": ("须为有限的数字", "Input should be a finite number"),
    "bool_type": ("须为布尔值", "Input should be a valid boolean"),
    "bool_parsing": (
        "须为布尔值（true 或 false）",
        "Input should be a valid boolean, unable to interpret input",
    ),
    "decimal_type": (
        "须为数字（文本或数值）",
        "Decimal input should be an integer, float, string or Decimal object",
    ),
    "decimal_parsing": ("须为数字", "Input should be a valid decimal"),
    "decimal_max_digits": (
        "最多 {max_digits} 位数字",
        "Decimal input should have no more than {max_digits} digits in total",
    ),
    "decimal_max_places": (
        "最多 {decimal_places} 位小数",
        "Decimal input should have no more than {decimal_places} decimal places",
    ),
    "decimal_whole_digits": (
        "整数部分最多 {whole_digits} 位",
        "Decimal input should have no more than {whole_digits} digits before the decimal point",
    ),
    "greater_than": ("须大于 {gt}", "Input should be greater than {gt}"),
    "greater_than_equal": ("须大于或等于 {ge}", "Input should be greater than or equal to {ge}"),
    "less_than": ("须小于 {lt}", "Input should be less than {lt}"),
    "less_than_equal": ("须小于或等于 {le}", "Input should be less than or equal to {le}"),
    "multiple_of": ("须为 {multiple_of} 的倍数", "Input should be a multiple of {multiple_of}"),
    "literal_error": ("须为以下之一：{expected}", "Input should be {expected}"),
    "enum": ("须为以下之一：{expected}", "Input should be {expected}"),
    "date_type": ("须为日期", "Input should be a valid date"),
    "date_parsing": ("须为日期，例如 2026-12-01", "Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": ("须为日期，例如 2026-12-01", "Input should be a valid date or datetime"),
    "date_from_datetime_inexact": (
        "须为整日（不带时刻）",
        "Datetimes provided to dates should have zero time",
    ),
    "datetime_type": ("须为时间", "Input should be a valid datetime"),
    "datetime_parsing": ("须为时间，例如 2026-12-01T08:00:00Z", "Input should be a valid datetime"),
    "datetime_from_date_parsing": (
        "须为时间，例如 2026-12-01T08:00:00Z",
        "Input should be a valid datetime or date",
    ),
    "list_type": ("须为列表", "Input should be a valid list"),
    "too_short": ("至少 {min_length} 项", "List should have at least {min_length} items"),
    "too_long": ("最多 {max_length} 项", "List should have at most {max_length} items"),
    "dict_type": ("须为对象", "Input should be a valid dictionary"),
    "model_type": ("须为对象", "Input should be an object"),
    "model_attributes_type": (
        "须为对象",
        "Input should be a valid dictionary or object to extract fields from",
    ),
    "json_invalid": ("不是有效的 JSON", "Invalid JSON"),
    "url_parsing": ("须为网址", "Input should be a valid URL"),
    "url_scheme": ("网址协议须为 {expected_schemes}", "URL scheme should be {expected_schemes}"),
    "int_too_big": ("数字过大", "Input integer is too big"),
    "union_tag_invalid": (
        "{discriminator} 的值 {tag} 不符，须为以下之一：{expected_tags}",
        "Input tag '{tag}' found using {discriminator} does not match any of the expected tags: {expected_tags}",
    ),
    # our own field rules (core.schemas, core.text)
    "whole_number_text": (
        "须为用数字书写的整数，而不是 {value}",
        "must be a whole number written in digits, not {value}",
    ),
    "too_many_characters": ("最多 {limit} 个字符", "must be at most {limit} characters"),
    "iso_date": (
        "须为 ISO 8601 格式的日期，例如 2026-12-01",
        "must be a date in ISO 8601 form, such as 2026-12-01",
    ),
    "iso_datetime": (
        "须为 ISO 8601 格式的时间，例如 2026-12-01T08:00:00Z",
        "must be a date-time in ISO 8601 form, such as 2026-12-01T08:00:00Z",
    ),
    "no_such_day": ("{value} 不是存在的日期", "{value} is not a day that exists"),
    "no_such_time": ("{value} 不是存在的时间", "{value} is not a time that exists"),
    "in_key": ("{key}：{problem}", "{key}: {problem}"),
    # --- Excel files (core.excel) ----------------------------------------------------------------
    "file_refused": ("文件被拒绝", "The file was refused"),
    "empty_file": ("文件是空的", "The file is empty"),
    "file_missing": ("找不到文件", "The file is missing"),
    "no_such_file": ("{path}：没有此文件", "{path}: no such file"),
    "file_too_large": (
        "文件大小为 {size:,} 字节，上限是 {limit:,} 字节（OPCMS_IMPORT_MAX_BYTES）",
        "The file is {size:,} bytes; the limit is {limit:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
    ),
    "password_protected": (
        "工作簿设有密码；请去掉密码后重新上传",
        "The workbook is password-protected; remove the password and upload it again",
    ),
    "password_protected_zip": (
        "工作簿设有密码（加密的 zip）",
        "The workbook is password-protected (encrypted zip)",
    ),
    "not_xlsx": ("不是 Excel .xlsx 工作簿（{detail}）", "Not an Excel .xlsx workbook ({detail})"),
    "not_xlsx_ole": (
        "旧版 .xls 或其他 Office 二进制文件；请另存为 .xlsx",
        "an old .xls or other Office binary file; save it as .xlsx",
    ),
    "not_xlsx_zip": ("内容不是 zip 包", "the content is not a zip package"),
    "not_xlsx_parts": ("zip 文件中没有工作簿的组成部分", "a zip file without the parts of a workbook"),
    "corrupt_file": ("文件已损坏（{detail}）", "The file is damaged ({detail})"),
    "corrupt_compression": ("部件 {part} 使用了不支持的压缩方式", "Unsupported compression in part '{part}'"),
    "corrupt_part_size": ("部件 {part} 大得不合理", "Part {part} is unreasonably large"),
    "workbook_unreadable": ("无法读取工作簿（{detail}）", "The workbook cannot be read ({detail})"),
    "too_many_rows_about": (
        "工作表约有 {rows:,} 行；上限是 {limit:,} 行（OPCMS_IMPORT_MAX_ROWS）",
        "The sheet has about {rows:,} rows; the limit is {limit:,} (OPCMS_IMPORT_MAX_ROWS)",
    ),
    "zip_bomb_parts": (
        "文件包含 {parts} 个部件；工作簿远没有这么多",
        "The package has {parts} parts; a workbook has far fewer",
    ),
    "zip_bomb_ratio": (
        "部件 {part} 将膨胀 {ratio:,} 倍（上限 {limit}）；按 zip 炸弹拒绝",
        "Part '{part}' would inflate {ratio:,} times (at most {limit}); refused as a zip bomb",
    ),
    "zip_bomb_total": (
        "工作簿解压后将达 {size:,} 字节（上限 {limit:,}）；按 zip 炸弹拒绝",
        "The workbook would inflate to {size:,} bytes (at most {limit:,}); refused as a zip bomb",
    ),
    "unsafe_xml_entities": (
        "部件 {part} 声明了 DOCTYPE 或 XML 实体；已拒绝（XML 实体扩展）",
        "Part {part} declares a DOCTYPE or XML entities; refused (XML entity expansion)",
    ),
    "unsafe_xml_encoding": ("部件 {part} 不是 UTF-8 编码的 XML", "Part {part} is not UTF-8 XML"),
    "unsafe_xml_refused": (
        "已拒绝工作簿中不安全的 XML（{kind}）",
        "Refused unsafe XML in the workbook ({kind})",
    ),
    "no_worksheet": ("工作簿中没有工作表", "The workbook has no worksheet"),
    "cell_too_long_at": (
        "工作表“{sheet}”的单元格 {cell} 超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        'Cell {cell} of sheet "{sheet}" holds more than {limit:,} characters, Excel\'s limit for a cell; shorten it and upload the file again',
    ),
    "cell_too_long_at_first_sheet": (
        "第一个工作表的单元格 {cell} 超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        "Cell {cell} of the first sheet holds more than {limit:,} characters, Excel's limit for a cell; shorten it and upload the file again",
    ),
    "cell_too_long_in": (
        "工作表“{sheet}”中有单元格超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        'A cell of sheet "{sheet}" holds more than {limit:,} characters, Excel\'s limit for a cell; shorten it and upload the file again',
    ),
    "cell_too_long_in_first_sheet": (
        "第一个工作表中有单元格超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        "A cell of the first sheet holds more than {limit:,} characters, Excel's limit for a cell; shorten it and upload the file again",
    ),
    "cell_over_limit": ("超过 {limit:,} 个字符", "more than {limit:,} characters"),
    "shared_text_too_long_at": (
        "工作簿共享文本中的第 {number} 条超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        "Text #{number} of the workbook's shared strings holds more than {limit:,} characters, Excel's limit for a cell; shorten it and upload the file again",
    ),
    "shared_text_too_long": (
        "工作簿共享文本中有一条超过 {limit:,} 个字符（Excel 单元格上限）；请缩短后重新上传",
        "A text of the workbook's shared strings holds more than {limit:,} characters, Excel's limit for a cell; shorten it and upload the file again",
    ),
    "text_too_long": (
        "部件 {part} 含有超过 {limit:,} 字节的文本或标签；正常工作簿不会有",
        "Part {part} holds a text or a tag of more than {limit:,} bytes; no workbook has one",
    ),
    "uncached_formula": (
        "公式没有保存计算结果；请用 Excel 或 WPS 打开文件，计算后保存并重新上传",
        "a formula saved without its result; open the file in Excel or WPS, let it calculate, save it and upload it again",
    ),
    "formula_without_value": (
        "工作表“{sheet}”的单元格 {cell} 是 {formula}，公式没有保存计算结果；请用 Excel 或 WPS 打开文件，计算后保存并重新上传",
        'Cell {cell} of sheet "{sheet}" is {formula}, a formula saved without its result; open the file in Excel or WPS, let it calculate, save it and upload it again',
    ),
    # --- imports: file refusals, the import's own errors, row reasons ---------------------------
    "missing_columns": (
        "缺少必填列：{columns}（表头在第 {row} 行）",
        "Required columns missing: {columns} (header row {row})",
    ),
    "no_header_row": (
        "前 {rows} 行中没有找到表头；缺少必填列：{columns}",
        "No header row found in the first {rows} rows; required columns missing: {columns}",
    ),
    "required_column_missing": ("缺少必填列", "required column missing"),
    "too_many_rows": (
        "工作表超过 {limit:,} 行（OPCMS_IMPORT_MAX_ROWS）",
        "The sheet has more than {limit:,} rows (OPCMS_IMPORT_MAX_ROWS)",
    ),
    "too_many_imports": (
        "已有 {limit} 个导入正在读取（OPCMS_MAX_CONCURRENT_IMPORTS）；请几秒后再试",
        "{limit} imports are being read already (OPCMS_MAX_CONCURRENT_IMPORTS); try again in a few seconds",
    ),
    "stored_upload_gone": ("保存的上传文件 {name} 已不存在", "The stored upload {name} is gone"),
    "import_mode_invalid": ("须为 validate、create 或 upsert", "must be validate, create or upsert"),
    "import_mode_required": ("必填：validate、create 或 upsert", "required: validate, create or upsert"),
    "import_file_required": (
        "请在 multipart 字段 file 中上传 .xlsx 工作簿",
        "upload an .xlsx workbook in the multipart field 'file'",
    ),
    "import_not_finished": (
        "导入 {id} 的状态是 {status}；成功完成后才有错误明细",
        "import {id} is {status}; its errors are known once it has succeeded",
    ),
    "import_file_missing": (
        "导入 {id} 的上传文件已不再保存",
        "the upload of import {id} is no longer stored",
    ),
    "import_not_found": ("导入 {id} 不存在", "import {id} not found"),
    "import_conflict": (
        "此文件中的部分客户同时被他人创建或改名；未写入任何数据。请重新导入。",
        "Some customers of this file were created or renamed by someone else meanwhile; nothing was written. Run the import again.",
    ),
    "import_not_queued": ("无法排队执行导入：{error}", "could not queue the import: {error}"),
    "import_interrupted": ("导入被中断；未写入任何数据", "the import was interrupted; nothing was written"),
    "required": ("必填", "required"),
    "not_a_date": ("不是日期；请写成 2024-03-05 这样", "not a date; write it like 2024-03-05"),
    "not_a_real_date": ("{text} 不是真实存在的日期", "{text} is not a real date"),
    "not_a_whole_number": ("须为整数", "must be a whole number"),
    "not_an_amount": ("不是金额", "not an amount"),
    "unknown_status": ("未知状态；请使用以下之一：{choices}", "unknown status; use one of {choices}"),
    "owner_ambiguous": (
        "有多名用户叫这个名字；请填写用户名",
        "several users have this name; write the username",
    ),
    "owner_unknown": ("没有此用户名或姓名的在职用户", "no active user with this username or name"),
    "same_code_as_row": ("客户编号与第 {row} 行相同", "same customer code as row {row}"),
    "same_name_as_row": ("公司名称与第 {row} 行相同", "same company name as row {row}"),
    "code_exists_create_mode": (
        "客户编号已存在（create 模式只新增客户）",
        "customer code already exists (create mode only adds new customers)",
    ),
    "name_belongs_to_customer": (
        "公司名称已属于客户 {code}",
        "company name already belongs to customer {code}",
    ),
    "status_move_refused": (
        "状态不能从{from}（{from_code}）改为{to}（{to_code}）",
        "cannot move from {from} ({from_code}) to {to} ({to_code})",
    ),
    # --- settlement: allocations and reversals -------------------------------------------------------
    "payment_named": ("收款 {id}", "payment {id}"),
    "credit_note_named": ("贷项通知单 {number}", "credit note {number}"),
    "line_invoice_void": ("发票 {invoice}：已作废", "invoice {invoice}: is void"),
    "line_other_customer": (
        "发票 {invoice}：与{source}不属于同一客户",
        "invoice {invoice}: belongs to another customer than {source}",
    ),
    "line_currency_mismatch": (
        "发票 {invoice}：币种为 {currency}，{source}为 {source_currency}",
        "invoice {invoice}: is in {currency}, {source} in {source_currency}",
    ),
    "line_over_outstanding": (
        "发票 {invoice}：{amount} 超过其未结金额 {outstanding}",
        "invoice {invoice}: {amount} is more than its outstanding {outstanding}",
    ),
    "line_outstanding_changed": (
        "发票 {invoice}：未结金额现为 {outstanding}，而不是 {amount}",
        "invoice {invoice}: outstanding is now {outstanding}, not {amount}",
    ),
    "allocation_exceeds_unallocated": (
        "{source}剩余可核销 {left}；各行合计 {total}",
        "{source} has {left} left to allocate; the lines add up to {total}",
    ),
    "allocation_lines_invalid": (
        "每张发票一行，且每行金额大于 0",
        "one line per invoice, each with an amount more than 0",
    ),
    "payment_void_no_allocation": (
        "收款 {id} 已作废：不能从中核销",
        "payment {id} is void: nothing can be allocated from it",
    ),
    "payment_unassigned": (
        "收款 {id} 没有客户；请先指定客户",
        "payment {id} has no customer; assign a customer first",
    ),
    "assign_customer_first": ("请先指定客户", "assign a customer first"),
    "allocation_not_found": ("核销记录 {id} 不存在", "allocation {id} not found"),
    "allocation_reversed": (
        "核销记录 {id} 已于 {at} UTC 由 {by} 冲销",
        "allocation {id} was reversed on {at} UTC by {by}",
    ),
    "invoice_void_allocations": (
        "发票 {number} 已作废；其核销记录不能变更",
        "invoice {number} is void; its allocations cannot change",
    ),
    "settlement_inconsistent": ("无法冲销核销记录 {id}：{error}", "cannot reverse allocation {id}: {error}"),
    "payment_not_found": ("收款 {id} 不存在", "payment {id} not found"),
    "credit_note_not_found": ("贷项通知单 {id} 不存在", "credit note {id} not found"),
    "invoice_not_found": ("发票 {id} 不存在", "invoice {id} not found"),
    # --- billing: invoices, credit notes, the invoice run --------------------------------------------
    "invoice_void": ("发票 {number} 已作废", "invoice {number} is already void"),
    "invoice_has_allocations_void": (
        "发票 {number} 有 {count} 条有效核销记录：请先冲销核销，再作废",
        "invoice {number} has {count} active allocation(s): reverse the allocations first, then void it",
    ),
    "invoice_has_allocations_regenerate": (
        "发票 {number} 有 {count} 条有效核销记录：请先冲销核销，再重新生成",
        "invoice {number} has {count} active allocation(s): reverse the allocations first, then regenerate it",
    ),
    "invoice_has_credit_notes_void": (
        "发票 {number} 已有贷项通知单 {notes}：不能作废；请再开一张贷项通知单",
        "invoice {number} has credit note(s) {notes}: it cannot be voided; issue a further credit note instead",
    ),
    "invoice_has_credit_notes_regenerate": (
        "发票 {number} 已有贷项通知单 {notes}：不能重新生成；请再开一张贷项通知单",
        "invoice {number} has credit note(s) {notes}: it cannot be regenerated; issue a further credit note instead",
    ),
    "invoice_not_priceable": (
        "发票 {number} 无法重新计价：{error}",
        "invoice {number} cannot be priced again: {error}",
    ),
    "invoice_void_no_credit": (
        "发票 {number} 已作废：作废的发票不能开贷项通知单",
        "invoice {number} is void: a void invoice cannot be credited",
    ),
    "credit_exceeds_invoice": (
        "贷项金额 {amount} 超过发票 {number} 剩余可贷记的 {room}（合计 {total} 减去之前的贷项 {earlier}）",
        "a credit note of {amount} exceeds what invoice {number} has left to credit: {room} (total {total} less earlier credit notes {earlier})",
    ),
    "at_most": ("最多 {limit}", "at most {limit}"),
    "not_a_line_of_invoice": (
        "明细 {line} 不属于发票 {number}",
        "line {line} is not a line of invoice {number}",
    ),
    "credit_exceeds_line": (
        "{amount} 超过发票明细 {line} 剩余可贷记的 {room}",
        "{amount} exceeds what invoice line {line} has left to credit: {room}",
    ),
    "line_at_most": ("明细 {line}：最多 {limit}", "line {line}: at most {limit}"),
    "period_format": (
        "账期须为 YYYY-MM（1900 至 2999 年），而不是 {value}",
        "period must be YYYY-MM (years 1900 to 2999), not {value}",
    ),
    "period_not_started": (
        "{period} 尚未开始（今天是 {today}）",
        "{period} has not started yet (today is {today})",
    ),
    "invoice_run_not_found": ("账单运行 {id} 不存在", "invoice_run {id} not found"),
    "plain_decimal": (
        "须为普通小数，例如 {example}（数字 0-9 和小数点；不能有指数、千分位、空格或其他文字的数字）",
        "must be a plain decimal such as {example} (digits 0-9 and a point; no exponent, digit separator, space or other script's digits)",
    ),
    "must_not_be_negative": ("不能为负数", "must not be negative"),
    "must_be_positive": ("须大于 0", "must be greater than 0"),
    "decimal_out_of_range": (
        "超出范围或位数过多（须符合 {pattern}）",
        "is out of range or has too many digits (it must match {pattern})",
    ),
    # --- payments ------------------------------------------------------------------------------------
    "payment_reference_exists": (
        "已有银行流水号为 {reference} 的 {method} 收款",
        "a {method} payment with bank reference '{reference}' already exists",
    ),
    "payment_duplicate": (
        "收款 {id}（{amount} {currency}，{received_on} 到账）已使用 {method} 银行流水号 {reference}",
        "payment {id} ({amount} {currency}, received {received_on}) already has {method} bank reference '{reference}'",
    ),
    "not_in_future": ("不能晚于今天（今天是 {today}）", "must not be in the future (today is {today})"),
    "payment_voided_voided": (
        "收款 {id} 已于 {on} 由 {by} 作废：不能再次作废",
        "payment {id} was voided on {on} by {by}: it cannot be voided again",
    ),
    "payment_voided_assigned": (
        "收款 {id} 已于 {on} 由 {by} 作废：不能指定客户",
        "payment {id} was voided on {on} by {by}: it cannot be assigned",
    ),
    "payment_allocated_voiding": (
        "收款 {id} 已核销 {amount}；作废前请先冲销其核销",
        "payment {id} has {amount} allocated; reverse its allocations before voiding it",
    ),
    "payment_allocated_changing": (
        "收款 {id} 已核销 {amount}；更换客户前请先冲销其核销",
        "payment {id} has {amount} allocated; reverse its allocations before changing its customer",
    ),
    "payment_void": ("收款 {id} 已作废", "payment {id} is void"),
    "payment_allocated": (
        "收款 {id} 已核销 {amount}；请先冲销其核销",
        "payment {id} has {amount} allocated; reverse its allocations first",
    ),
    # --- payments: reconciliation suggestions (their reasons) ----------------------------------------
    "suggest_exact": (
        "发票 {number}（{due} 到期）未结金额正好是 {amount}",
        "invoice {number} (due {due}) has exactly {amount} outstanding",
    ),
    "suggest_scope": (
        "金额以下最早的 {count} 张未结发票",
        "the oldest {count} open invoices below the amount",
    ),
    "suggest_scope_partial": (
        "金额以下最早的 {count} 张未结发票（搜索已达上限而停止）",
        "the oldest {count} open invoices below the amount (search stopped at its budget)",
    ),
    "suggest_combination": (
        "{count} 张发票（{numbers}）合计正好 {amount}；在{scope}中，发票最少者优先，其次最早者",
        "{count} invoices ({numbers}) add up to exactly {amount}; fewest invoices first, then oldest, among {scope}",
    ),
    "suggest_fifo": (
        "按到期先后：从 {first} 起 {count} 张发票",
        "oldest due first: {count} invoice(s) from {first}",
    ),
    "suggest_fifo_partly": ("，最后一张（{number}）部分核销", ", the last one ({number}) partly"),
    "suggest_fifo_credit": (
        "；{left} 不核销，记为客户余额",
        "; {left} stays unallocated as the customer's credit",
    ),
    "suggest_payer": (
        "付款人名称 {payer} 与{column} {matched} 相似（{score} 分，满分 100）",
        "payer name '{payer}' is like the {column} '{matched}' (score {score} of 100)",
    ),
    "column_company_name": ("公司名称", "company name"),
    "column_short_name": ("简称", "short name"),
    # --- pricing: metrics, plans, versions, subscriptions, the price preview -------------------------
    "usage_metric_duplicate": ("计量指标编码 {code} 已被占用", "metric code '{code}' is taken"),
    "usage_metric_duplicate_deleted": (
        "计量指标编码 {code} 已被已删除的指标 {id} 占用",
        "metric code '{code}' is taken by deleted metric {id}",
    ),
    "pricing_plan_duplicate": ("价格方案编码 {code} 已被占用", "plan code '{code}' is taken"),
    "pricing_plan_duplicate_deleted": (
        "价格方案编码 {code} 已被已删除的方案 {id} 占用",
        "plan code '{code}' is taken by deleted plan {id}",
    ),
    "code_taken": ("{code} 已被占用", "'{code}' is taken"),
    "code_taken_deleted": ("{code} 已被已删除的记录 {id} 占用", "'{code}' is taken by deleted record {id}"),
    "metric_unknown": ("没有计量指标 {code}", "no metric '{code}'"),
    "metric_retired": ("计量指标 {code} 已停用", "metric '{code}' is retired (inactive)"),
    "pricing_plan_in_use": (
        "价格方案 {code} 正被 {count} 个当前或未来的订阅使用；请先结束这些订阅",
        "plan {code} is used by {count} current or future subscription(s); end them first",
    ),
    "subscription_uses_plan": ("订阅 {id} 使用此方案", "subscription {id} uses this plan"),
    "plan_metric_fixed": (
        "价格方案 {code} 计价的指标是 {metric}；方案的指标不能更改",
        "plan {code} prices '{metric}'; a plan's metric cannot change",
    ),
    "version_billed": (
        "版本 {version} 已出账；请给出更晚的生效日期",
        "version {version} was billed; give a later effective_from",
    ),
    "version_billed_after": (
        "版本 {version}（自 {from} 起）已出账；新版本须在 {from} 之后生效",
        "version {version} (from {from}) was billed; a new version must start after {from}",
    ),
    "version_conflict": (
        "此方案的版本已被另一处修改抢先；请重试",
        "another change to this plan's versions came first; retry",
    ),
    "subscription_overlap": (
        "订阅 {id}（{from} 至 {to}）已覆盖该客户此期间的这个指标",
        "subscription {id} ({from} to {to}) already covers this metric for the customer in that period",
    ),
    "subscription_overlap_open": (
        "订阅 {id}（自 {from} 起，无结束日）已覆盖该客户此期间的这个指标",
        "subscription {id} ({from} to open-ended) already covers this metric for the customer in that period",
    ),
    "plan_metric_retired": (
        "方案 {code} 的计量指标 {metric} 已停用",
        "metric '{metric}' of plan {code} is retired",
    ),
    "plan_not_in_force_yet": (
        "方案 {code} 在 {day} 没有生效的版本（自 {starts} 起生效）",
        "plan {code} has no version in force on {day} (it starts {starts})",
    ),
    "plan_never_in_force": (
        "方案 {code} 在 {day} 没有生效的版本（没有任何版本）",
        "plan {code} has no version in force on {day} (it starts never)",
    ),
    "plan_not_in_force": (
        "方案 {code} 在 {day} 没有生效的版本",
        "plan {code} has no version in force on {day}",
    ),
    "not_before": ("不能早于 {other}", "must not be before {other}"),
    "subscription_customer_deleted": (
        "客户已删除；订阅只能结束，不能延长",
        "the customer was deleted; the subscription can be ended but not extended",
    ),
    "subscription_plan_deleted": (
        "价格方案已删除；订阅只能结束，不能延长",
        "the plan was deleted; the subscription can be ended but not extended",
    ),
    "customer_was_deleted": ("客户已删除", "the customer was deleted"),
    "plan_was_deleted": ("价格方案已删除", "the plan was deleted"),
    "cannot_price": ("无法计价：{error}", "cannot price this: {error}"),
    "usage_metric_not_found": ("计量指标 {id} 不存在", "usage_metric {id} not found"),
    "pricing_plan_not_found": ("价格方案 {id} 不存在", "pricing_plan {id} not found"),
    "subscription_not_found": ("订阅 {id} 不存在", "subscription {id} not found"),
    # --- pricing: plan documents ---------------------------------------------------------------------
    "clauses": ("{items}", "{items}"),
    "too_many_tiers": (
        "最多允许 {limit} 个阶梯；此方案有 {count} 个",
        "at most {limit} tiers are allowed; this plan has {count}",
    ),
    "tiers_needed": (
        "{mode} 计价至少需要一个阶梯（最后一个的 up_to 为空）",
        "{mode} pricing needs at least one tier (the last one with up_to null)",
    ),
    "tiers_refused": (
        "{mode} 计价不接受阶梯（阶梯用于 graduated 和 volume 计价）",
        "{mode} pricing takes no tiers (tiers are for graduated and volume pricing)",
    ),
    "unit_price_needed": ("per_unit 计价需要 unit_price", "per_unit pricing needs a unit_price"),
    "unit_price_from_tiers": (
        "{mode} 计价的价格取自阶梯：unit_price 请留空",
        "{mode} pricing takes its prices from its tiers: leave unit_price empty",
    ),
    "unit_price_from_package": (
        "{mode} 计价的价格取自 package_price：unit_price 请留空",
        "{mode} pricing takes its prices from package_price: leave unit_price empty",
    ),
    "package_field_needed": ("package 计价需要 {name}", "package pricing needs a {name}"),
    "package_size_positive": (
        "package_size 须大于 0（每包的数量）",
        "package_size must be greater than 0 (units in one package)",
    ),
    "package_field_refused": (
        "{name} 只用于 package 计价；{mode} 计价请留空",
        "{name} is for package pricing only; leave it empty for {mode} pricing",
    ),
    "tier_open_not_last": (
        "第 {number} 档：up_to 为空（不封顶），但只有最后一档可以不封顶",
        "tier {number}: up_to is empty (open-ended), but only the last tier may be open-ended",
    ),
    "tier_bound_positive": ("第 {number} 档：up_to 须大于 0", "tier {number}: up_to must be greater than 0"),
    "tier_bound_ascending": (
        "第 {number} 档：up_to {up_to} 须大于第 {previous} 档的 up_to {bound}",
        "tier {number}: up_to {up_to} must be greater than tier {previous}'s up_to {bound}",
    ),
    "tier_last_open": (
        "第 {number} 档：最后一档须不封顶（up_to 为空），使每个数量都有价格，但它的 up_to 是 {up_to}",
        "tier {number}: the last tier must be open-ended (up_to null) so that every quantity has a price, but it has up_to {up_to}",
    ),
    "tier_field_problem": ("第 {number} 档 {field}：{problem}", "tier {number} {field}: {problem}"),
    "tier_problem": ("第 {number} 档：{problem}", "tier {number}: {problem}"),
    "plan_or_plan_id": (
        "plan（方案文档）与 plan_id 须且只能给一个",
        "give exactly one of plan (a plan document) or plan_id",
    ),
    "on_needs_plan_id": ("on 只适用于 plan_id", "on applies to plan_id only"),
    "proration_needs_both": (
        "按比例计费需要同时给出 days_active 和 days_in_period",
        "proration needs both days_active and days_in_period",
    ),
    "days_active_too_many": (
        "days_active 不能超过 days_in_period（{days}）",
        "days_active must not exceed days_in_period ({days})",
    ),
    # --- usage: pulls, uploads, data sources, anomaly review -----------------------------------------
    "usage_column_accepts": ("{column}（可用表头：{headers}）", "{column} (headers accepted: {headers})"),
    "usage_columns_missing": (
        "缺少必填列：{columns}（表头在第 {row} 行）",
        "Required columns missing: {columns} (header row {row})",
    ),
    "usage_columns_no_header": (
        "缺少必填列：{columns}（前 {rows} 行中没有表头）",
        "Required columns missing: {columns} (no header row in the first {rows} rows)",
    ),
    "usage_column_missing": (
        "缺少必填列；可用表头：{headers}",
        "required column missing; accepted headers: {headers}",
    ),
    "too_many_data_rows": (
        "文件超过 {limit:,} 行数据（OPCMS_IMPORT_MAX_ROWS）",
        "The file has more than {limit:,} data rows (OPCMS_IMPORT_MAX_ROWS)",
    ),
    "bad_encoding_bom": (
        "文件以 UTF-8 标记开头，但不是 UTF-8 编码（{error}）",
        "The file starts with a UTF-8 mark but is not UTF-8 ({error})",
    ),
    "bad_encoding_utf16": (
        "不支持 UTF-16 文本；请另存为 CSV UTF-8",
        "UTF-16 text is not supported; save the file as CSV UTF-8",
    ),
    "bad_encoding": ("CSV 文件既不是 UTF-8 也不是 GBK 文本", "The CSV file is neither UTF-8 nor GBK text"),
    "not_csv": ("文件是二进制的，不是 CSV 文本", "The file is binary, not CSV text"),
    "csv_unreadable": ("无法读取 CSV 文件（{error}）", "The CSV file cannot be read ({error})"),
    "named_file_empty": ("{name}：文件是空的", "{name}: the file is empty"),
    "named_file_too_large": (
        "{name}：文件大小为 {size:,} 字节，上限是 {limit:,} 字节（OPCMS_IMPORT_MAX_BYTES）",
        "{name}: the file is {size:,} bytes; the limit is {limit:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
    ),
    "named_not_xlsx": (
        "{name}：不是 Excel .xlsx 工作簿（内容不是 zip 包）",
        "{name}: not an Excel .xlsx workbook (the content is not a zip package)",
    ),
    "usage_day_in_future": (
        "尚未到来的日期的用量不能拉取",
        "usage of a day that has not happened cannot be pulled",
    ),
    "backfill_too_long": ("一次补拉最多 {limit} 天", "a back-fill covers at most {limit} days"),
    "review_reason_required_accept": ("接受用量须填写原因", "a reason is required to accept usage"),
    "review_reason_required_correct": ("更正用量须填写原因", "a reason is required to correct usage"),
    "review_reason_required_reject": ("拒绝用量须填写原因", "a reason is required to reject usage"),
    "review_quantity_required": ("须填写更正后的数量", "the corrected quantity is required"),
    "review_quantity_refused": ("只有更正才接受数量", "only a correction takes a quantity"),
    "usage_anomalies_not_found": ("没有用量异常 {ids}", "no usage anomaly {ids}"),
    "usage_anomaly_not_found": ("用量异常 {id} 不存在", "usage_anomaly {id} not found"),
    "usage_anomaly_reviewed": ("已审核：异常 {ids}", "already reviewed: anomalies {ids}"),
    "usage_account_unmapped": (
        "异常 {id}：账号 {account} 未对应到客户；请先建立对应",
        "anomaly {id}: account '{account}' is not mapped to a customer; map it first",
    ),
    "usage_metric_unknown": (
        "异常 {id}：没有启用的计量指标 {metric}；请先创建",
        "anomaly {id}: no active metric '{metric}'; create it first",
    ),
    "anomaly_day_not_date": (
        "异常 {id}：日期 {day} 不是日期；请拒绝",
        "anomaly {id}: day '{day}' is not a date; reject it",
    ),
    "anomaly_day_in_future": (
        "异常 {id}：{day} 尚未到来；请拒绝",
        "anomaly {id}: {day} has not happened yet; reject it",
    ),
    "anomaly_quantity_unbillable": (
        "异常 {id}：数量 {quantity} 不能按原样计费；请更正或拒绝",
        "anomaly {id}: quantity '{quantity}' cannot be billed as it is; correct or reject it",
    ),
    "not_a_file_source": (
        "数据源 {name} 读取 {adapter}，不接受上传文件：请上传到 {file} 类型的数据源",
        "data source '{name}' reads {adapter}, not uploaded files: upload to a '{file}' source",
    ),
    "data_source_disabled": (
        "数据源 {name} 已停用：上传前请先启用",
        "data source '{name}' is disabled: enable it before uploading",
    ),
    "no_rows": ("{name}：文件有表头但没有用量行", "{name}: the file has a header but no usage rows"),
    "no_usage_day": (
        "{name}：没有一行的用量日期可以读取（YYYY-MM-DD 或 YYYY/M/D）且已经开始",
        "{name}: no row has a usage day that can be read (YYYY-MM-DD or YYYY/M/D) and has already begun",
    ),
    "no_past_day": ("文件中没有可读的过去日期", "no readable past day in the file"),
    "invalid_source_config": (
        "数据源 {name} 配置有误：{error}",
        "data source '{name}' is misconfigured: {error}",
    ),
    "upload_directory_unwritable": (
        "数据源 {name} 的上传目录无法写入（{error}）",
        "the upload directory of data source '{name}' cannot be written ({error})",
    ),
    "data_source_in_use": (
        "数据源 {name} 仍对应着 {count} 个客户账号：请先删除对应关系",
        "data source '{name}' still maps {count} customer account(s): remove the mappings first",
    ),
    "customer_named": ("客户 {code}（{name}）", "customer {code} ({name})"),
    "another_customer": ("另一个客户", "another customer"),
    "mapped_to": ("已对应到{holder}", "already mapped to {holder}"),
    "account_taken": (
        "数据源 {name} 的账号 {account} 已对应到{holder}",
        "account '{account}' of data source '{name}' is already mapped to {holder}",
    ),
    "usage_file_required": (
        "请在 multipart 字段 file 中上传 CSV 或 .xlsx 文件",
        "upload a CSV or .xlsx file in the multipart field 'file'",
    ),
    "no_enabled_data_source": ("没有启用的数据源 {name}", "no enabled data source '{name}'"),
    "data_source_not_found": ("数据源 {id} 不存在", "data_source {id} not found"),
    "account_mapping_not_found": ("账号对应 {id} 不存在", "account_mapping {id} not found"),
    "usage pull_not_found": ("用量拉取 {id} 不存在", "usage pull {id} not found"),
    "data_source_duplicate": ("数据源名称 {value} 已被占用", "data source name '{value}' is taken"),
    "data_source_duplicate_deleted": (
        "数据源名称 {value} 已被已删除的数据源 {id} 占用",
        "data source name '{value}' is taken by deleted data source {id}",
    ),
    "notification_channel_duplicate": (
        "通知渠道名称 {value} 已被占用",
        "notification channel name '{value}' is taken",
    ),
    "notification_channel_duplicate_deleted": (
        "通知渠道名称 {value} 已被已删除的渠道 {id} 占用",
        "notification channel name '{value}' is taken by deleted channel {id}",
    ),
    "notification_template_duplicate": (
        "通知模板编码 {value} 已被占用",
        "notification template code '{value}' is taken",
    ),
    "notification_template_duplicate_deleted": (
        "通知模板编码 {value} 已被已删除的模板 {id} 占用",
        "notification template code '{value}' is taken by deleted template {id}",
    ),
    # --- jobs: task executions and schedules ---------------------------------------------------------
    "job_already_running": (
        "带这些参数的 {job} 已经是 {status} 状态（运行 #{id}）",
        "{job} with these parameters is already {status} (run #{id})",
    ),
    "job_not_found": ("没有名为 {name} 的任务", "no job named '{name}'"),
    "job_parameters_invalid": ("{field}：不适用于 {job}", "{field}: not valid for {job}"),
    "job_not_runnable": ("{name} 不能在此进程中运行", "{name} cannot be run in this process"),
    "job_lock_busy": ("运行锁反复易手；请重试", "the run lock kept changing hands; try again"),
    "execution_not_pending": (
        "执行 {id} 的状态是 {status}；只有等待中的执行可以取消",
        "execution {id} is {status}; only a pending one can be cancelled",
    ),
    "execution_not_retryable": (
        "执行 {id} 的状态是 {status}；只有失败或部分成功的执行可以重试",
        "execution {id} is {status}; only a failed or partial one can be retried",
    ),
    "task_execution_not_found": ("任务执行 {id} 不存在", "task_execution {id} not found"),
    "job_schedule_not_found": ("任务计划 {id} 不存在", "job_schedule {id} not found"),
    "unknown_time_zone": ("未知时区 {name}", "unknown time zone '{name}'"),
    "cron_invalid": (
        "{cron} 不是五段式 cron 表达式（分 时 日 月 周）",
        "'{cron}' is not a cron expression of five fields (minute hour day month weekday)",
    ),
    # --- customers: profiles, dictionaries, status, batch actions ------------------------------------
    "unknown_industry": (
        "未知行业 {value}；请使用以下之一：{choices}",
        "unknown industry {value}; use one of {choices}",
    ),
    "unknown_level": (
        "未知等级 {value}；请使用以下之一：{choices}",
        "unknown level {value}; use one of {choices}",
    ),
    "dictionary_word_taken_industry": ("{word} 已表示行业 {code}", "'{word}' already means industry {code}"),
    "dictionary_word_taken_level": ("{word} 已表示等级 {code}", "'{word}' already means level {code}"),
    "dictionary_not_found": (
        "没有字典 {kind}；请使用 industry 或 level",
        "no dictionary '{kind}'; use industry or level",
    ),
    "dictionary_entry_not_found": ("字典条目 {id} 不存在", "dictionary_entry {id} not found"),
    "owner_not_active": ("没有 id 为 {id} 的在职用户", "no active user with id {id}"),
    "customer_code_taken": ("客户编号 {value} 已被占用", "customer code '{value}' is taken"),
    "company_name_taken": ("公司名称 {value} 已被占用", "company name '{value}' is taken"),
    "customer_code_taken_now": ("客户编号已被占用", "customer_code is taken"),
    "company_name_taken_now": ("公司名称已被占用", "company_name is taken"),
    "customer_duplicate": ("客户编号或公司名称已被占用", "the customer code or company name is taken"),
    "illegal_status_transition": (
        "客户 {code} 的状态不能从 {from} 改为 {to}",
        "cannot move customer {code} from {from} to {to}",
    ),
    "customer_not_deleted": ("客户 {id} 未被删除", "customer {id} is not deleted"),
    "not_deleted": ("记录 {id} 未被删除", "record {id} is not deleted"),
    "customers_missing": (
        "{count} 个客户不存在或已删除：{ids}",
        "{count} customer(s) not found or deleted: {ids}",
    ),
    "customer_not_found": ("客户 {id} 不存在", "customer {id} not found"),
    "customer_deleted": ("客户已删除", "the customer was deleted"),
    "pricing_plan_deleted": ("价格方案已删除", "the plan was deleted"),
    "credit_code_format": (
        "须为 18 位，由 0-9 和 A-Y 组成（不含 I、O、S、V、Z）",
        "must be 18 characters of 0-9 and A-Y (no I, O, S, V, Z)",
    ),
    "credit_code_check_digit": ("校验位不符（GB 32100-2015）", "check digit does not match (GB 32100-2015)"),
    "phone_format": (
        "不是大陆手机号（11 位）或带区号的固定电话",
        "not a mainland mobile (11 digits) or landline with area code",
    ),
    "customer_code_format": ("1-32 个字母、数字、“-”、“_” 或 “.”", "1-32 letters, digits, '-', '_' or '.'"),
    "must_not_be_blank": ("不能为空白", "must not be blank"),
    "at_most_characters": ("最多 {limit} 个字符", "at most {limit} characters"),
    "email_invalid": ("不是有效的电子邮箱：{error}", "{error}"),
    "action_needs_reason": ("{action} 需要填写原因", "{action} needs a reason"),
    "action_needs_field": ("{action} 需要 {field}", "{action} needs {field}"),
    # --- query and body rules of the lists and boards ------------------------------------------------
    "analytics_own_customers_only": (
        "你只能查看自己负责的客户的看板（查看他人的需要 analytics:all_owners）",
        "you see the boards of the customers you own (analytics:all_owners is needed for others)",
    ),
    "no_such_user": ("没有用户 {id}", "no user {id}"),
    "not_after": ("不能晚于 {other}", "must not be after {other}"),
    "range_over_3_years": ("范围不能超过 3 年", "the range must not be longer than 3 years"),
    "from_after_to": ("from 不能晚于 to", "from must not be after to"),
    "lines_not_amount": (
        "各行合计 {total}，不等于金额 {amount}",
        "the lines add up to {total}, not the amount {amount}",
    ),
    "amount_range_reversed": (
        "amount_min 不能大于 amount_max",
        "amount_min must not be greater than amount_max",
    ),
    "due_range_reversed": ("due_from 不能晚于 due_to", "due_from must not be after due_to"),
    "payment_or_credit_note": (
        "payment_id 与 credit_note_id 须且只能给一个",
        "give exactly one of payment_id and credit_note_id",
    ),
    "suggestion_needs_payment": (
        "建议核销的是收款：请给出 payment_id",
        "a suggestion allocates a payment: give payment_id",
    ),
    "invoice_twice": (
        "发票 {id} 出现了两次；每张发票一行",
        "invoice {id} appears twice; give one line per invoice",
    ),
    "field_not_before": ("{field} 不能早于 {other}", "{field} must not be before {other}"),
    "at_most_366_days": ("一次最多 366 天", "at most 366 days at once"),
    "day_or_range_not_both": (
        "day 与 first_day/last_day 只能给一种，不能同时给",
        "give either day or first_day and last_day, not both",
    ),
    "day_or_range": ("请给出 day，或 first_day 和 last_day", "give day, or first_day and last_day"),
    "stage_twice": ("每个阶段最多出现一次", "each stage at most once"),
    "stage_range": ("阶段是 -{limit} 到 {limit} 之间的天数", "stages are days between -{limit} and {limit}"),
    # --- notifications: channels, templates, sending -------------------------------------------------
    "notification_channel_in_use": (
        "通知渠道 {name} 是模板 {templates} 的默认渠道：请先修改这些模板",
        "notification channel '{name}' is the default of template(s) {templates}: change them first",
    ),
    "notification_template_code_not_found": (
        "通知模板 {code} 不存在",
        "notification template '{code}' not found",
    ),
    "notification_template_not_found": ("通知模板 {id} 不存在", "notification_template {id} not found"),
    "notification_channel_not_found": ("通知渠道 {id} 不存在", "notification_channel {id} not found"),
    "notification_not_found": ("通知 {id} 不存在", "notification {id} not found"),
    "channel_unavailable": ("没有可用的通知渠道", "No channel to send on"),
    "no_channel_named": ("没有名为 {name} 的通知渠道", "no notification channel named '{name}'"),
    "template_without_channel": (
        "模板 {code} 没有默认渠道：请指定一个",
        "template '{code}' has no default channel: name one",
    ),
    "template_channel_deleted": (
        "模板 {code} 的默认渠道已删除",
        "the default channel of template '{code}' was deleted",
    ),
    "channel_disabled": ("通知渠道 {name} 已停用", "notification channel '{name}' is disabled"),
    "channel_misconfigured": ("通知渠道 {name}：{error}", "notification channel '{name}': {error}"),
    "notification_not_resendable": (
        "通知 {id} 的状态是 {status}：只有失败或已放弃的消息可以重发",
        "notification {id} is {status}: only dead or failed messages are re-sent",
    ),
    "notification_channel_gone": (
        "此通知的渠道已删除或停用：请先启用",
        "the notification's channel is deleted or disabled: enable it first",
    ),
    "template_render_error": ("模板无法渲染", "The template cannot be rendered"),
    "template_syntax_at": (
        "不是有效的模板（第 {line} 行）：{error}",
        "not a valid template (line {line}): {error}",
    ),
    "template_undeclared_variables": (
        "模板使用了未声明的变量：{names}",
        "the template uses undeclared variables: {names}",
    ),
    "variable_undeclared": ("{name} 被使用但未声明", "'{name}' is used but not declared"),
    "template_syntax": ("模板无效：{error}", "the template is not valid: {error}"),
    "template_variables_missing": ("缺少模板变量：{names}", "missing template variables: {names}"),
    "variable_required": ("模板需要此变量", "required by the template"),
    "template_variable_undefined": ("缺少模板变量：{error}", "template variable missing: {error}"),
    "template_unsafe": ("模板执行了不安全的操作：{error}", "the template did something unsafe: {error}"),
    "template_unrenderable": ("模板无法渲染：{error}", "the template cannot be rendered: {error}"),
    "template_content_too_long": (
        "渲染后的内容超过 {limit} 字节",
        "the rendered content is longer than {limit} bytes",
    ),
    "no_channel": ("没有通知渠道 {id}", "no notification channel {id}"),
    "fallback_channel_repeated": ("渠道 {name} 已在备用链中", "channel {name} is already in the chain"),
    "fallback_is_default_channel": (
        "默认渠道不能作为自己的备用渠道",
        "the default channel cannot be its own fallback",
    ),
    "fallback_too_long": ("备用链最多 {limit} 个渠道", "at most {limit} channels"),
    "unknown_channel_kind": ("未知的渠道类型 {kind}", "unknown channel kind {kind}"),
    "notification_channel_in_fallback": (
        "通知渠道 {name} 在模板 {templates} 的备用链中：请先修改这些模板",
        "notification channel '{name}' is in the fallback chain of template(s) {templates}: change them first",
    ),
    # --- auth: sign-in, tokens, sessions, users ------------------------------------------------------
    "not_authenticated": ("请先登录：缺少 bearer 令牌", "Sign in first: missing bearer token"),
    "password_change_required": (
        "请先设置新密码：你是用一次性密码登录的",
        "Choose a new password first: you signed in with a one-time password",
    ),
    "invalid_credentials": ("用户名或密码错误", "Wrong username or password"),
    "refresh_token_invalid": ("刷新令牌已失效", "The refresh token is no longer valid"),
    "invalid_token": ("令牌无效", "The token is invalid"),
    "token_expired": ("令牌已过期", "The token has expired"),
    "token_reused": (
        "刷新令牌已被使用过；此会话已被吊销",
        "The refresh token was already used; the session is revoked",
    ),
    "account_disabled": ("账号已停用", "The account is disabled"),
    "session_revoked": ("会话已结束；请重新登录", "The session has ended; sign in again"),
    "session_not_found": ("会话 {id} 不存在", "session {id} not found"),
    "too_many_attempts": ("登录失败次数过多；请稍后再试", "Too many failed logins; try again later"),
    "current_password_wrong": ("不是你当前的密码", "is not your current password"),
    "password_unchanged": ("须与当前密码不同", "must differ from the current password"),
    "username_taken": ("用户名 {username} 已被占用", "username '{username}' is taken"),
    "self_change_role": (
        "你不能更改自己账号的角色或停用自己的账号",
        "You cannot change the role of or disable your own account",
    ),
    "self_reset_password": (
        "你不能重置自己账号的密码（请在账号页面修改）",
        "You cannot reset the password of (change it on your account page) your own account",
    ),
    "self_end_sessions": (
        "你不能结束自己账号的全部会话（请使用账号页面）",
        "You cannot end every session of (use your account page) your own account",
    ),
    "self_delete": ("你不能删除自己的账号", "You cannot delete your own account"),
    "self_change_forbidden": ("你不能对自己的账号执行此操作", "You cannot do this to your own account"),
    "last_admin": (
        "{username} 是最后一个在用的管理员：不能停用、降级或删除；请先让另一名用户成为管理员",
        "{username} is the last active admin: it cannot be disabled, demoted or deleted; make another user an admin first",
    ),
    "user_not_deleted": ("用户 {id} 未被删除", "user {id} is not deleted"),
    "user_not_found": ("用户 {id} 不存在", "user {id} not found"),
    "password_too_short": ("至少 {limit} 个字符", "must be at least {limit} characters"),
    "password_one_kind": ("须混合字母与数字或符号", "must mix letters with digits or symbols"),
    "password_common": (
        "是最常见的密码之一；请换一个",
        "is one of the most common passwords; choose another",
    ),
    # --- codes whose message a raise site picks by key (their generic text) --------------------------
    "cell_too_long": (
        "有单元格超过 Excel 的单元格上限；请缩短后重新上传",
        "A cell holds more than Excel's limit for a cell; shorten it and upload the file again",
    ),
    "dictionary_word_taken": ("{word} 已表示 {code}", "'{word}' already means {code}"),
    "invoice_has_allocations": (
        "发票 {number} 有 {count} 条有效核销记录：请先冲销核销",
        "invoice {number} has {count} active allocation(s): reverse the allocations first",
    ),
    "invoice_has_credit_notes": (
        "发票 {number} 已有贷项通知单 {notes}；请再开一张贷项通知单",
        "invoice {number} has credit note(s) {notes}: issue a further credit note instead",
    ),
    "json_too_complex": ("JSON 请求体过于复杂", "The JSON body is too complex"),
    # --- more generic texts of codes with several messages -------------------------------------------
    "unsafe_xml": ("工作簿含有不安全的 XML；已拒绝", "The workbook holds unsafe XML; refused"),
    "zip_bomb": (
        "工作簿解压后过大；按 zip 炸弹拒绝",
        "The workbook would inflate too much; refused as a zip bomb",
    ),
    # --- audit log and deleted records (their texts as their raise sites write them) -----------------
    "audit_cursor_invalid": (
        "不是此列表的游标；请从第一页重新开始",
        "not a cursor of this list; start again from the first page",
    ),
    "audit_export_too_large": (
        "符合条件的审计记录超过 {limit} 条；请缩小筛选范围（更短的时间段）",
        "more than {limit} audit entries match; narrow the filters (a shorter time range)",
    ),
    "until_not_after_since": ("until 须晚于 since", "until must be after since"),
    "entity_id_needs_entity_type": ("entity_id 需要同时给出 entity_type", "entity_id needs entity_type"),
    "unknown_deleted_kind": (
        "没有已删除记录的类型 {kind}；已知类型：{known}",
        "no kind of deleted record '{kind}'; known: {known}",
    ),
    "restore_conflict": (
        "无法恢复：{kind}的{field}“{value}”已被之后新建的{kind} {holder_id} 占用；请先改名或删除那一条",
        "cannot restore: {kind} {field} '{value}' is taken again by {kind} {holder_id} created since; rename or delete that one first",
    ),
    "restore_conflict_race": (
        "无法恢复：{kind} {id} 的{field}同时被占用",
        "cannot restore: the {field} of {kind} {id} was taken meanwhile",
    ),
    # the kinds of record and the fields a restore names
    "record_kind.customer": ("客户", "customer"),
    "record_kind.usage_metric": ("计量指标", "usage metric"),
    "record_kind.pricing_plan": ("计费方案", "pricing plan"),
    "record_kind.subscription": ("订阅", "subscription"),
    "record_kind.data_source": ("数据源", "data source"),
    "record_kind.customer_source_account": ("客户数据源账号", "customer source account"),
    "record_kind.notification_channel": ("通知渠道", "notification channel"),
    "record_kind.notification_template": ("通知模板", "notification template"),
    "record_kind.user": ("用户", "user"),
    "record_field.customer_code": ("客户编号", "customer code"),
    "record_field.company_name": ("公司名称", "company name"),
    "record_field.external_account": ("外部账号", "external account"),
    "record_field.code": ("编码", "code"),
    "record_field.name": ("名称", "name"),
    "record_field.username": ("用户名", "username"),
    "record_field.id": ("编号", "id"),
    "record_field.customer_id": ("客户", "customer"),
    "record_field.plan_id": ("计费方案", "plan"),
    "record_field.metric_id": ("计量指标", "metric"),
    "record_field.source_id": ("数据源", "data source"),
    "record_field.channel_id": ("通知渠道", "channel"),
    "restore_parent_deleted": (
        "无法恢复：它所属的{parent} {parent_id} 已删除；请先恢复那一条",
        "cannot restore: its {parent} {parent_id} is deleted; restore that first",
    ),
    # --- analytics: the reasons of the churn warning and the credit score's factors (shown in Chinese from their values) ---
    "churn_usage_drop": ("用量较前 3 个月平均 {percent}%", "usage {percent}% vs 3-month average"),
    "churn_no_usage": ("已 {value} 天没有用量", "no usage for {value} days"),
    "churn_overdue": (
        "{count} 张发票逾期，最久 {value} 天",
        "{count} invoice(s) overdue, the oldest {value} days",
    ),
    "churn_suspended_none": ("账号已暂停", "account suspended"),
    "churn_cheaper_plan": (
        "从 {from_plan} 换到 {to_plan}（按近期用量 {percent}%）",
        "moved from {from_plan} to {to_plan} ({percent}% at recent usage)",
    ),
    "credit_on_time": ("按时付款的发票占 {value}%", "{value}% of invoices paid on time"),
    "credit_on_time_none": ("尚无到期发票：给一半分", "no invoice due yet: half marks"),
    "credit_days_late": ("平均逾期 {value} 天", "{value} days late on average"),
    "credit_days_late_none": ("尚无到期发票：给一半分", "no invoice due yet: half marks"),
    "credit_overdue": ("最久的逾期发票已过期 {value} 天", "oldest overdue invoice {value} days past due"),
    "credit_limit_use": ("已用信用额度的 {value}%", "{value}% of the credit limit in use"),
    "credit_limit_use_none": ("未设信用额度：给一半分", "no credit limit set: half marks"),
    "credit_tenure": ("成为客户已 {value} 天", "customer for {value} days"),
    # --- channel and data source settings ------------------------------------------------------------
    "invalid_settings": ("设置无效：{problems}", "invalid settings: {problems}"),
    "invalid_secrets": ("密钥无效：{problems}", "invalid secrets: {problems}"),
    "sms_provider_unknown": (
        "未知的短信服务商 {value}；已知：{known}",
        "unknown SMS provider {value}; known: {known}",
    ),
    "http_url_required": ("须为 http(s) 网址", "must be an http(s) URL"),
    "webhook_url_required": (
        "须为 http(s) 网址（机器人的 webhook 地址）",
        "must be an http(s) URL (the bot's webhook address)",
    ),
    "dotted_path_required": (
        "须为以点分隔的路径，例如 data 或 result.items（不含空格，不能有空段）",
        "must be a dotted path such as 'data' or 'result.items' (no spaces, no empty part)",
    ),
    "not_a_url": ("不是网址（{error}）", "not a URL ({error})"),
    "url_with_host_required": (
        "须为带主机名的 http:// 或 https:// 网址",
        "must be an http:// or https:// URL with a host",
    ),
    "url_without_query": ("不能带查询参数或片段", "must not carry a query or a fragment"),
    "path_required": ("须以 / 开头且不带查询参数", "must start with '/' and carry no query"),
    "header_name_invalid": ("不是有效的请求头名称", "not a valid header name"),
    "named_header_invalid": ("{name} 不是有效的请求头名称", "{name} is not a valid header name"),
    "header_set_by_adapter": (
        "{name} 由适配器设置（凭据应放在密钥中）",
        "{name} is set by the adapter (credentials belong in the secrets)",
    ),
    # --- notification targets ------------------------------------------------------------------------
    "not_an_email_address": ("不是电子邮箱地址：{value}", "not an e-mail address: {value}"),
    # --- usage pull parameters -----------------------------------------------------------------------
    "last_day_needs_first_day": ("last_day 需要同时给出 first_day", "last_day needs first_day"),
    # --- the command line ----------------------------------------------------------------------------
    "no_customer_with_code": ("没有客户编号为 {code} 的客户", "no customer with code '{code}'"),
}
