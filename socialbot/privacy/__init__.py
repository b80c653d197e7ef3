"""Privacy duties: retention, erasing an author (`forget`), export, and the X compliance check."""
