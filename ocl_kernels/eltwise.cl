/* eltwise.cl - (to be written) */
