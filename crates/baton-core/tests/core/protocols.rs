//! Parser tests over every recorded transcript (being written).
