/* resize.cl - (to be written) */
