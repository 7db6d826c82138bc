//! Daily access-log files: found, ordered by the date in their names, read line by line
//! (gzipped or not), and followed live through the switch to a new day's file.
