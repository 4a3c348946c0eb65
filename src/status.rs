//! `baton status`: one inventory refresh and one probe round, printed as a table or JSON.
