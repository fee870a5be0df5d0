//! Feature tags in both languages: a resource stores `video`, a Chinese
//! user types or reads 视频. Unknown tags pass through unchanged.

/// Known tags and their Chinese names.
pub const KNOWN: &[(&str, &str)] = &[
    ("video", "视频"),
    ("projector", "投影仪"),
    ("wheelchair", "无障碍"),
    ("whiteboard", "白板"),
    ("screen", "大屏"),
    ("phone", "电话会议"),
    ("interpreting", "同声传译"),
    ("ev", "新能源"),
    ("charger", "充电"),
    ("secure", "涉密"),
];

/// The stored tag for what a user typed, in either language: `视频` and
/// `Video` are `video`; an unknown word is kept, trimmed and lower-cased.
pub fn tag(input: &str) -> String {
    let t = input.trim();
    KNOWN
        .iter()
        .find(|(en, zh)| t.eq_ignore_ascii_case(en) || t == *zh)
        .map(|(en, _)| (*en).to_string())
        .unwrap_or_else(|| t.to_lowercase())
}

/// A tag's name in `lang` (`"zh"` or English).
pub fn name<'a>(tag: &'a str, lang: &str) -> &'a str {
    if lang != "zh" {
        return tag;
    }
    KNOWN
        .iter()
        .find(|(en, _)| *en == tag)
        .map_or(tag, |(_, zh)| zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_name_the_same_tag() {
        assert_eq!(tag("视频"), "video");
        assert_eq!(tag(" Video "), "video");
        assert_eq!(tag("投影仪"), tag("projector"));
        assert_eq!(tag("Sauna"), "sauna");
        assert_eq!(name("video", "zh"), "视频");
        assert_eq!(name("video", "en"), "video");
        assert_eq!(name("sauna", "zh"), "sauna");
    }
}
