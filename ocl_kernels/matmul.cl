/* matmul.cl - (to be written) */
