#!/usr/bin/env node
console.log('nhi: under construction');
