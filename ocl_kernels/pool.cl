/* pool.cl - (to be written) */
