"""Personal data is found in the forms people really write it, and masked everywhere it
could leave: the prompt, the case base and its index, exports."""

from __future__ import annotations

import pytest

from complaint_desk.privacy import find_pii, mask_pii

FOUND = [
    # the forms that were always found
    ("请联系13812345678", "phone", "138****5678"),
    ("手机１３９１２３４５６７８", "phone", "139****5678"),
    ("电话 138-1234-5678", "phone", "138****5678"),
    ("+86 13812345678", "phone", "138****5678"),
    ("身份证110105199003071234", "id_card", "尾号1234"),
    ("身份证11010519900307123X", "id_card", "尾号123X"),
    ("卡号6222 0212 3456 7890 123", "bank_card", "尾号0123"),
    ("卡号6222021234567890", "bank_card", "尾号7890"),
    ("座机010-88886666", "landline", "尾号6666"),
    ("邮箱zhang.san@example.com", "email", "z***@example.com"),
    ("寄到朝阳区建国路88号3号楼1201室", "address", None),
    # the forms that were missed
    ("电话138.1234.5678", "phone", "138****5678"),
    ("电话1381 234 5678", "phone", "138****5678"),
    ("手机一三八一二三四五六七八", "phone", "138****5678"),
    ("加我微信wx13812345678", "phone", "138****5678"),
    ("0086 13812345678", "phone", "138****5678"),
    ("008613812345678", "phone", "138****5678"),
    ("身份证110101-1990-0307-1234", "id_card", "尾号1234"),
    ("老身份证110105900307123", "id_card", "尾号7123"),
    ("卡号6222 0212 3456 7890", "bank_card", "尾号7890"),
    ("信用卡3782 822463 10005", "bank_card", "尾号0005"),
    ("卡号378282246310005", "bank_card", "尾号0005"),
    ("座机01088886666", "landline", "尾号6666"),
    ("座机(021)61234567", "landline", "尾号4567"),
    ("住阳光小区3栋2单元501", "address", None),
    ("老家是张家村5组12号", "address", None),
    ("送到建国路八十八号", "address", None),
    ("邮箱wangxm(at)example.com", "email", "w***@example.com"),
    ("邮箱 wangxm [at] example [dot] com", "email", None),
]


@pytest.mark.parametrize(("text", "kind", "masked"), FOUND)
def test_personal_data_is_found_and_masked(text: str, kind: str, masked: str | None) -> None:
    text += "，一直没人管"
    assert [hit.kind for hit in find_pii(text)] == [kind]
    result = mask_pii(text)
    assert result != text and not find_pii(result)
    if masked:
        assert masked in result


def test_a_word_spelt_with_a_digit_character_does_not_hide_a_number() -> None:
    assert [hit.text for hit in find_pii("我的手机13812345678一直收到骚扰短信")] == ["13812345678"]
    assert mask_pii("我的手机13812345678一直收到骚扰短信") == "我的手机138****5678一直收到骚扰短信"


@pytest.mark.parametrize("text", ["尾号5678", "138****5678", "订单号20240501", "金额1299元", "第三次打电话", "等了两个小时",
                                  "一二三楼都没电", "3号门进来", "实际是老小区一楼", "商场3楼的店", "价格是128元", "2026-11-20 09:30", "快递单号 YT1234567890"])
def test_masked_or_ordinary_numbers_are_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


RAW = ["138.1234.5678", "1381 234 5678", "一三八一二三四五六七八", "wx13812345678", "0086 13812345678",
       "110101-1990-0307-1234", "110105900307123", "6222 0212 3456 7890", "3782 822463 10005", "01088886666",
       "阳光小区3栋2单元501", "张家村5组12号", "建国路八十八号", "wangxm(at)example.com"]


def test_personal_data_never_reaches_the_prompt_the_case_base_its_index_or_an_export(tiny_settings, tmp_path) -> None:  # noqa: ANN001
    import json

    from complaint_desk.domain import User
    from complaint_desk.drafting.prompts import chat_messages
    from complaint_desk.services import Services
    from complaint_desk.workflow.importing import export_rows

    services = Services.build(tiny_settings, load_llm_in_background=False)
    flow = services.workflow
    for name, role in (("li", "agent"), ("boss", "supervisor")):
        services.store.add_user(User(username=name, display_name=name, role=role), "secret1")
    complaint = "快递丢了，联系方式：" + "，".join(RAW) + "。再不处理我就投诉！"
    source = tmp_path / "pii.jsonl"
    source.write_text(json.dumps({"id": "P1", "text": complaint}, ensure_ascii=False) + "\n", encoding="utf-8")
    flow.import_file(flow.actor("boss"), source)
    li = flow.actor("li")
    taken = flow.take_next(li)
    prompt = json.dumps(chat_messages(flow.request_for(flow.view(taken.id), hint="客户补充手机 1381 234 5678")),
                        ensure_ascii=False)
    draft, _ = flow.draft(li, taken.id, hint="客户补充手机 1381 234 5678")
    flow.approve(li, taken.id, draft.text)
    case = flow.resolve(li, taken.id, root_cause="地址阳光小区3栋2单元501写错", remedy="redelivery")
    stored = json.dumps([c.model_dump(mode="json") for c in services.store.list_cases("resolved")], ensure_ascii=False)
    index = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in (tiny_settings.data_dir / "index").rglob("*")
                    if p.is_file())
    exported = json.dumps([r.model_dump() for r in export_rows(services.store)], ensure_ascii=False)
    audit = json.dumps([e.detail for e in services.store.list_audit(taken.id)], ensure_ascii=False)
    assert case.id in stored
    for raw in RAW:
        for where, text in (("提示词", prompt), ("案例库", stored), ("索引", index), ("导出", exported), ("审计", audit)):
            assert raw not in text, f"{raw} 出现在{where}里"


@pytest.mark.parametrize(("text", "masked"), [
    ("您的护照号是E12345678，请核对。", "您的护照号是尾号5678，请核对。"),
    ("护照号码：EA1234567", "护照号码：尾号4567"),
    ("港澳通行证C12345678已经过期", "港澳通行证尾号5678已经过期"),
])
def test_passport_numbers_are_masked_where_the_text_says_so(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


def test_an_order_number_of_the_same_shape_is_left_alone() -> None:
    assert mask_pii("订单号E12345678已发货") == "订单号E12345678已发货"
