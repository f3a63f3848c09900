from __future__ import annotations

import pytest

from complaint_desk import vocab
from complaint_desk.triage.flags import find_flags

POSITIVE = {
    "media": ["再不处理我就曝光你们", "我要发到微博上让大家都看看", "等着上热搜吧", "我已经联系了电视台的记者"],
    "regulator": ["我要打12315投诉你们", "已经向消费者协会反映了", "明天去市场监管局举报", "我会向银保监投诉"],
    "legal": ["我已经请了律师", "法院见", "我现在就报警", "准备起诉你们公司"],
    "repeat": ["这是我第三次反映这个问题了", "打了五次电话都没人管", "一个月了还没解决", "至今未退款"],
    "supervisor": ["叫你们领导出来", "我要找你们经理", "让你们负责人给我打电话", "你们主管呢？让主管来跟我说"],
    "safety": ["孩子吃了以后上吐下泻", "热水器漏电把我电到了", "刹车失灵差点出车祸", "吃出了玻璃渣"],
    "vulnerable": ["家里八十岁的老人等着用药", "我怀孕七个月还要来回跑", "宝宝喝了过敏起疹子", "坐轮椅的父亲进不去"],
    "churn": ["我要销户", "再也不会来你们家了", "取消会员，换一家", "明天就携号转网"],
    "crisis": ["我真的不想活了", "被催收逼得没有活路了", "再不退钱我就从楼顶跳下去", "我已经写好遗书了",
               "大不了一死了之", "你们是要把我逼死吗", "房子没了，还不如找个高点的地方跳下去", "干脆把这一切都结束算了",
               "贷款还不上，是不是人没了就不用还了"],
}
# what keywords used to miss: threats, near-consumption, being stranded; money for treatment
POSITIVE["safety"] += ["外卖小哥威胁我说要报复", "快递员说他知道我住哪里", "给孩子吃了过期的米粉", "司机半路把我扔在高速上"]
POSITIVE["vulnerable"] += ["那是我爸的救命钱", "我妈每周都要做透析"]
NEGATIVE = {
    "media": ["我不会去曝光的，只想解决问题", "不想闹到网上"],
    "regulator": ["不打算打12315，希望你们处理好", "我的电话号码是123456789"],
    "legal": ["暂时不想报警", "请问法律上有什么规定吗"],
    "repeat": ["第一次在你们家买东西", "这个问题刚刚发生"],
    "supervisor": ["你们经理很热情，服务很好", "店长推荐的菜很好吃", "后来大堂经理过来帮忙，人挺热情的"],
    "safety": ["请注意账户安全", "希望保证配送安全准时"],
    "vulnerable": ["孩子很喜欢这个玩具", "给老人买的，老人很满意"],
    "churn": ["我想取消这个订单", "请问怎么注销这个优惠券的提醒"],
    "crisis": ["跳楼价清仓也不能这样骗人", "这配色简直要逼死强迫症", "放心，我不会想不开的", "柜子太矮，找个高点的地方放药",
               "活动结束了还扣费"],
}


@pytest.mark.parametrize(("flag", "text"), [(f, t) for f, texts in POSITIVE.items() for t in texts])
def test_flag_fires_with_its_span(flag: str, text: str) -> None:
    hits = [hit for hit in find_flags(text) if hit.flag == flag]
    assert hits, f"{flag} should fire on {text}"
    for hit in hits:
        assert text[hit.start : hit.end] == hit.text and hit.text


@pytest.mark.parametrize(("flag", "text"), [(f, t) for f, texts in NEGATIVE.items() for t in texts])
def test_flag_does_not_fire_on_denials_or_neutral_mentions(flag: str, text: str) -> None:
    assert flag not in {hit.flag for hit in find_flags(text)}


def test_every_spec_flag_has_cases() -> None:
    assert set(POSITIVE) == set(NEGATIVE) == set(vocab.FLAG_IDS)


def test_traditional_and_fullwidth_text_still_flags() -> None:
    text = "我要打１２３１５，還要找記者曝光"
    flags = {hit.flag for hit in find_flags(text)}
    assert {"regulator", "media"} <= flags
    media = next(hit for hit in find_flags(text) if hit.flag == "media")
    assert text[media.start : media.end] == media.text
