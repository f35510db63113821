/* index.cl - (to be written) */
