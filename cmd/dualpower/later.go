package main

// Commands whose work is not built yet say so plainly and exit 1, rather
// than pretending.
