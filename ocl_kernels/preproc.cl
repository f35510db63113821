/* preproc.cl - (to be written) */
