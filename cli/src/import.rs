//! Rows of a resource file for `resource import`: a CSV file (header = the
//! `resource add` option names; several features or attributes in one cell
//! separated by `;`) or a TOML file of `[[resource]]` tables, each row as a
//! JSON object of those options, or why it is unreadable. Free of the CLI's
//! types, so that the fuzzing crate runs this very file.

/// Rows with their numbers: each the options as a JSON object, or why the
/// row is unreadable.
pub(crate) type Rows = Vec<(usize, Result<serde_json::Value, String>)>;

/// The rows of `text`, each with its number (the line in a CSV file, the
/// table's position in a TOML file). `Err` when the file as a whole cannot
/// be read (no header, not TOML, no `[[resource]]` tables).
pub(crate) fn rows(text: &str, csv: bool) -> Result<Rows, String> {
    if !csv {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("parsing: {e}"))?;
        let list = match table.get("resource") {
            Some(toml::Value::Array(list)) => list.clone(),
            _ => return Err("expected [[resource]] tables".into()),
        };
        return Ok(list
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, serde_json::to_value(v).map_err(|e| e.to_string())))
            .collect());
    }
    const NUMBERS: [&str; 9] = [
        "people",
        "units",
        "min_minutes",
        "max_minutes",
        "advance_days",
        "buffer_minutes",
        "max_conflicts",
        "checkin_minutes",
        "max_conflict_percent",
    ];
    const LISTS: [&str; 2] = ["feature", "attr"];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("reading the header row: {e}"))?
        .iter()
        .map(|h| h.trim().trim_start_matches("--").replace('-', "_"))
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let row = rec.map_err(|e| e.to_string()).and_then(|rec| {
            let mut map = serde_json::Map::new();
            for (h, v) in header.iter().zip(rec.iter()) {
                if v.is_empty() {
                    continue;
                }
                let value = if NUMBERS.contains(&h.as_str()) {
                    let n: u32 = v
                        .parse()
                        .map_err(|_| format!("column {h}: expected a number, got {v:?}"))?;
                    serde_json::Value::from(n)
                } else if LISTS.contains(&h.as_str()) {
                    v.split(';')
                        .map(|x| serde_json::Value::from(x.trim()))
                        .collect()
                } else {
                    serde_json::Value::from(v)
                };
                map.insert(h.clone(), value);
            }
            Ok(serde_json::Value::Object(map))
        });
        rows.push((line, row));
    }
    Ok(rows)
}
